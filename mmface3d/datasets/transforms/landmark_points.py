"""Index tables of the landmark layouts.

- :data:`FLIP_INDICES_68`: the left/right permutation of a mirrored face
  in the 68-point (iBUG / 300W) layout.
- :data:`FLIP_INDICES_21`: the same for the 21 AFLW points
  (:data:`~mmface3d.datasets.landmark_layout.AFLW21_NAMES`).
- :data:`FLM_INDICES` and :func:`select_flm_points`: the 18 points of the
  2DASL facial landmark map (REFERENCE.md section 4). Three of them are
  midpoints: the two eye centres (between the upper and lower lid points
  37/40 and 43/46) and the mouth centre (62/66).
- :data:`FLM_WEIGHTS`: the relative 4 : 2 : 1 weights of these 18 points in
  the 2D consistency loss.
"""
from typing import Union

import numpy as np
from torch import Tensor

from ..landmark_layout import AFLW21_NAMES

FLIP_INDICES_68 = np.array(
    list(range(16, -1, -1)) +  # jaw line
    list(range(26, 16, -1)) +  # eyebrows
    [27, 28, 29, 30, 35, 34, 33, 32, 31] +  # nose bridge, nostrils
    [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] +  # eyes
    [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] +  # outer lip
    [64, 63, 62, 61, 60, 67, 66, 65],  # inner lip
    dtype=np.int64)


def _mirror_name(name: str) -> str:
    """The AFLW point name of the mirrored point: every ``left`` and
    ``right`` token swapped (``left_eye_right`` -> ``right_eye_left``)."""
    swap = {'left': 'right', 'right': 'left'}
    return '_'.join(swap.get(token, token) for token in name.split('_'))


# A mirror swaps the side of the feature and the side of the point on it,
# whichever frame (image or subject) the names' sides refer to.
FLIP_INDICES_21 = np.array(
    [AFLW21_NAMES.index(_mirror_name(name)) for name in AFLW21_NAMES],
    dtype=np.int64)

# (18, 2): each FLM point is the mean of the two 68-point landmarks named in
# its row (the same id twice for a plain landmark).
FLM_INDICES = np.array(
    [[17, 17], [19, 19], [21, 21], [22, 22], [24, 24], [26, 26],
     [36, 36], [37, 40], [39, 39],
     [42, 42], [43, 46], [45, 45],
     [31, 31], [30, 30], [35, 35],
     [48, 48], [62, 66], [54, 54]],
    dtype=np.int64)

# Nose tip and mouth centre 4, eye centres and mouth corners 2, the rest 1.
FLM_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 1, 1, 4, 1, 2, 4, 2], dtype=np.float32)


def select_flm_points(
        landmarks: Union[np.ndarray, Tensor]) -> Union[np.ndarray, Tensor]:
    """The 18 facial-landmark-map points of 68-point landmarks.

    Args:
        landmarks (np.ndarray | Tensor): (..., 68, D) landmarks, D >= 1
            (usually 2 or 3 coordinates per point).

    Returns:
        np.ndarray | Tensor: (..., 18, D), same type, dtype and device as
        the input (integer input is averaged in floating point).
    """
    if landmarks.ndim < 2 or landmarks.shape[-2] != 68:
        raise ValueError('landmarks must be (..., 68, D), got '
                         f'{tuple(landmarks.shape)}')
    first = landmarks[..., FLM_INDICES[:, 0], :]
    second = landmarks[..., FLM_INDICES[:, 1], :]
    return (first + second) / 2
