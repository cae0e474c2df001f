"""Input normalisation of the 3DDFA-family networks."""
from typing import Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmface3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class NormalizeFace(BaseTransform):
    """``(img - mean) / std`` on the BGR crop, as float32.

    The channel order is kept (3DDFA models take BGR).

    Required Keys:

    - img (np.ndarray): (H, W, C) crop.

    Modified Keys:

    - img: float32.

    Args:
        mean (float | Sequence[float]): One value or one per channel.
            Defaults to 127.5.
        std (float | Sequence[float]): One value or one per channel, > 0.
            Defaults to 128.
    """

    def __init__(self,
                 mean: Union[float, Sequence[float]] = 127.5,
                 std: Union[float, Sequence[float]] = 128.0) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if not (self.std > 0).all():
            raise ValueError(f'std must be positive, got {std}')

    def transform(self, results: dict) -> dict:
        img = np.asarray(results['img'], dtype=np.float32)
        if img.ndim != 3 or any(v.size not in (1, img.shape[2])
                                for v in (self.mean, self.std)):
            raise ValueError(
                f'{results.get("img_path")}: img of shape {img.shape} does '
                f'not match mean {self.mean.tolist()} / std '
                f'{self.std.tolist()} (expected (H, W, C) and 1 or C values)')
        results['img'] = (img - self.mean) / self.std
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mean={self.mean.tolist()}, '
                f'std={self.std.tolist()})')
