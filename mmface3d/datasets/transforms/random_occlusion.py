"""Random rectangular occluders on a face crop."""
from typing import List, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmface3d.registry import TRANSFORMS
from .bgr_image import check_uint8_image

Rect = Tuple[int, int, int, int]


@TRANSFORMS.register_module()
class RandomOcclusion(BaseTransform):
    """With probability ``prob``, paint 1 to ``max_rects`` random rectangles
    over the crop (landmarks and params are left as they are: the network
    learns to see through occluders).

    Each rectangle covers a random fraction of the image area drawn from
    ``area``, with a width / height ratio drawn log-uniformly from
    ``aspect``, at a uniform position inside the image.

    Required Keys:

    - img (np.ndarray): (H, W, 3) uint8 BGR.

    Modified Keys:

    - img

    Args:
        max_rects (int): Most rectangles per image. Defaults to 1.
        area (Sequence[float]): ``(low, high)`` area fraction, in (0, 1].
            Defaults to (0.02, 0.2).
        aspect (Sequence[float]): ``(low, high)`` width / height ratio.
            Defaults to (0.3, 3.3).
        fill (str | int): ``'noise'`` (uniform random colours per pixel) or
            a constant gray level 0-255. Defaults to ``'noise'``.
        prob (float): Probability of applying it. Defaults to 0.5.
    """

    def __init__(self,
                 max_rects: int = 1,
                 area: Sequence[float] = (0.02, 0.2),
                 aspect: Sequence[float] = (0.3, 3.3),
                 fill: Union[str, int] = 'noise',
                 prob: float = 0.5) -> None:
        if max_rects < 1:
            raise ValueError(f'max_rects must be >= 1, got {max_rects}')
        if len(area) != 2 or not 0 < area[0] <= area[1] <= 1:
            raise ValueError(f'area must be (low, high) in (0, 1], got {area}')
        if len(aspect) != 2 or not 0 < aspect[0] <= aspect[1]:
            raise ValueError(
                f'aspect must be (low, high) with 0 < low <= high, got '
                f'{aspect}')
        if fill != 'noise' and not (isinstance(fill, int)
                                    and 0 <= fill <= 255):
            raise ValueError(
                f"fill must be 'noise' or an int in [0, 255], got {fill!r}")
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.max_rects = max_rects
        self.area = tuple(area)
        self.aspect = tuple(aspect)
        self.fill = fill
        self.prob = prob

    @cache_randomness
    def _sample(self, height: int, width: int) -> List[Rect]:
        """Rectangles ``(x0, y0, x1, y1)`` (empty when not applied)."""
        if np.random.rand() >= self.prob:
            return []
        rects = []
        for _ in range(np.random.randint(1, self.max_rects + 1)):
            area = np.random.uniform(*self.area) * height * width
            ratio = np.exp(np.random.uniform(*np.log(self.aspect)))
            w = int(np.clip(np.round(np.sqrt(area * ratio)), 1, width))
            h = int(np.clip(np.round(np.sqrt(area / ratio)), 1, height))
            x0 = np.random.randint(0, width - w + 1)
            y0 = np.random.randint(0, height - h + 1)
            rects.append((x0, y0, x0 + w, y0 + h))
        return rects

    def transform(self, results: dict) -> dict:
        img = check_uint8_image(results, 'RandomOcclusion')
        rects = self._sample(*img.shape[:2])
        if not rects:
            return results
        img = img.copy()
        for x0, y0, x1, y1 in rects:
            if self.fill == 'noise':
                img[y0:y1, x0:x1] = np.random.randint(
                    0, 256, (y1 - y0, x1 - x0, img.shape[2]), dtype=np.uint8)
            else:
                img[y0:y1, x0:x1] = self.fill
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_rects={self.max_rects}, '
                f'area={self.area}, aspect={self.aspect}, fill={self.fill!r}, '
                f'prob={self.prob})')
