"""Random brightness, contrast and saturation changes of a face crop."""
from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmface3d.registry import TRANSFORMS
from .bgr_image import check_uint8_image, to_gray

Factors = Tuple[float, float, float]


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """With probability ``prob``, scale brightness, contrast and saturation
    by random factors, in that order, on the uint8 BGR crop.

    - brightness: ``img * b``;
    - contrast: ``(img - m) * c + m``, m the mean gray level of the image;
    - saturation: ``(img - g) * s + g``, g each pixel's gray level.

    Each factor is drawn uniformly from ``[1 - x, 1 + x]``; values are
    clipped to [0, 255].

    Required Keys:

    - img (np.ndarray): (H, W, 3) uint8 BGR.

    Modified Keys:

    - img

    Args:
        brightness (float): Brightness range x, in [0, 1]. Defaults to 0.2.
        contrast (float): Contrast range x, in [0, 1]. Defaults to 0.2.
        saturation (float): Saturation range x, in [0, 1]. Defaults to 0.2.
        prob (float): Probability of applying it. Defaults to 0.5.
    """

    def __init__(self,
                 brightness: float = 0.2,
                 contrast: float = 0.2,
                 saturation: float = 0.2,
                 prob: float = 0.5) -> None:
        for name, value in (('brightness', brightness),
                            ('contrast', contrast),
                            ('saturation', saturation), ('prob', prob)):
            if not 0 <= value <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {value}')
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.prob = prob

    @cache_randomness
    def _sample(self) -> Tuple[bool, Factors]:
        apply = bool(np.random.rand() < self.prob)
        ranges = np.array([self.brightness, self.contrast, self.saturation])
        return apply, tuple(1 + np.random.uniform(-ranges, ranges))

    def transform(self, results: dict) -> dict:
        apply, (bright, contrast, saturation) = self._sample()
        if not apply:
            return results
        img = check_uint8_image(results, 'ColorJitter').astype(np.float32)
        img = img * bright
        mean = to_gray(np.clip(img, 0, 255)).mean()
        img = (img - mean) * contrast + mean
        gray = to_gray(np.clip(img, 0, 255))[:, :, None]
        img = (img - gray) * saturation + gray
        results['img'] = np.clip(np.round(img), 0, 255).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, '
                f'prob={self.prob})')
