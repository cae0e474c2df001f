"""The facial landmark map (FLM), the 4th input channel of 2DASL."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmface3d.morphable import (FLM_INDICES, draw_landmark_maps,
                                select_flm_points)
from mmface3d.registry import TRANSFORMS
from .face_data_error import FaceDataError
from .visibility import read_visibility


@TRANSFORMS.register_module()
class LandmarkMap(BaseTransform):
    """Draw the 18-point facial landmark map of a crop.

    The map has the crop's size, is -1 everywhere and +1 at ``floor(point)``
    (row = y, col = x) of the 18 points of
    :func:`~.landmark_points.select_flm_points`, indices clipped to
    ``[1, size - 1]`` (``[1, 119]`` for 120x120, as 2DASL does). Two points
    in one pixel give one +1 pixel. It is not normalised.

    Where the landmarks have a visibility mask (``landmarks_2d_input_visible``
    for ``landmarks_2d_input``, see :mod:`.visibility`), a point is drawn only
    if its source rows are visible (both rows of a midpoint), so the 0 rows
    of a 21-point list never reach the map.

    A sample without the landmarks (a dataset's ``missing_input='keep'``:
    the detector found no face) gets an empty map (-1 everywhere) with
    ``if_missing='empty'``, the map of no point; the default is an error.

    Required Keys:

    - img (np.ndarray): (H, W, C) crop, for the map size.
    - ``key`` (np.ndarray): (68, 2) crop-frame landmarks (see
      ``if_missing``).

    Optional Keys:

    - the mask of ``key`` (np.ndarray): (68,) bool.

    Added Keys:

    - landmark_map (np.ndarray): (H, W) float32.

    Args:
        key (str): Landmarks drawn: the 2D detector's points. Defaults to
            ``'landmarks_2d_input'``.
        sigma (float): Standard deviation (crop pixels) of Gaussian noise
            added to the 18 points before drawing, to train against
            detector error; the landmarks themselves are left unchanged.
            Defaults to 0 (off).
        if_missing (str): ``'error'`` or ``'empty'`` (an all -1 map) for a
            sample without ``key``. Defaults to ``'error'``.
    """

    def __init__(self,
                 key: str = 'landmarks_2d_input',
                 sigma: float = 0.0,
                 if_missing: str = 'error') -> None:
        if sigma < 0:
            raise ValueError(f'sigma must be >= 0, got {sigma}')
        if if_missing not in ('error', 'empty'):
            raise ValueError("if_missing must be 'error' or 'empty', got "
                             f'{if_missing!r}')
        self.key = key
        self.sigma = sigma
        self.if_missing = if_missing

    @cache_randomness
    def _noise(self) -> np.ndarray:
        return np.random.normal(0.0, self.sigma, (len(FLM_INDICES), 2))

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        if self.key not in results:
            if self.if_missing == 'empty':
                results['landmark_map'] = np.full(
                    results['img'].shape[:2], -1.0, dtype=np.float32)
                return results
            raise KeyError(f'{path}: LandmarkMap needs `{self.key}` (68, 2) '
                           "crop-frame landmarks (if_missing='empty' draws "
                           'an empty map for samples without them)')
        landmarks = np.asarray(results[self.key], dtype=np.float64)
        if landmarks.ndim != 2 or landmarks.shape[0] != 68 or \
                landmarks.shape[1] < 2:
            raise FaceDataError(path, f'{self.key} has shape '
                                f'{landmarks.shape}, expected (68, 2)')
        visible = read_visibility(results, self.key)
        shown = np.ones(68, bool) if visible is None else visible
        shown18 = shown[FLM_INDICES].all(1)
        if not np.isfinite(select_flm_points(landmarks[:, :2])[shown18]).all():
            raise FaceDataError(path, f'{self.key} holds NaN or inf at FLM '
                                'points')
        if self.sigma > 0:
            # noise on the 18 map points: on both rows of a midpoint
            noise = np.zeros((68, 2))
            noise[FLM_INDICES.reshape(-1)] = np.repeat(self._noise(), 2, 0)
            landmarks = landmarks[:, :2] + noise
        height, width = results['img'].shape[:2]
        results['landmark_map'] = draw_landmark_maps(
            torch.from_numpy(np.nan_to_num(landmarks[None, :, :2])),
            torch.from_numpy(shown[None]), height, width)[0].numpy().astype(
                np.float32)
        return results

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(key='{self.key}', "
                f"sigma={self.sigma}, if_missing='{self.if_missing}')")
