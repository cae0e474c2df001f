"""Random Gaussian blur of a face crop."""
import math
from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmface3d.registry import TRANSFORMS
from .bgr_image import check_uint8_image


@TRANSFORMS.register_module()
class GaussianBlur(BaseTransform):
    """With probability ``prob``, blur the crop with a Gaussian of random
    standard deviation (kernel side ``2 * ceil(3 sigma) + 1``).

    Required Keys:

    - img (np.ndarray): (H, W, 3) uint8 BGR.

    Modified Keys:

    - img

    Args:
        sigma (Sequence[float]): ``(low, high)`` range of the standard
            deviation in pixels, uniform. Defaults to (0.1, 2.0).
        prob (float): Probability of applying it. Defaults to 0.5.
    """

    def __init__(self,
                 sigma: Sequence[float] = (0.1, 2.0),
                 prob: float = 0.5) -> None:
        if len(sigma) != 2 or not 0 < sigma[0] <= sigma[1]:
            raise ValueError(
                f'sigma must be (low, high) with 0 < low <= high, got {sigma}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.sigma = tuple(sigma)
        self.prob = prob

    @cache_randomness
    def _sample(self):
        return bool(np.random.rand() < self.prob), float(
            np.random.uniform(*self.sigma))

    def transform(self, results: dict) -> dict:
        apply, sigma = self._sample()
        if not apply:
            return results
        img = check_uint8_image(results, 'GaussianBlur')
        size = 2 * math.ceil(3 * sigma) + 1
        results['img'] = cv2.GaussianBlur(
            img, (size, size), sigma, borderType=cv2.BORDER_REFLECT_101)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sigma={self.sigma}, '
                f'prob={self.prob})')
