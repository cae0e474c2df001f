"""Index tables of the landmark layouts.

- :data:`AFLW21_NAMES`: the 21 AFLW points; :data:`AFLW21_TO_68` /
  :func:`aflw21_to_68` place them in the 68 rows the landmark map reads, and
  :data:`AFLW21_FROM_68` reads them back from 68 predicted points.
- :data:`FLIP_INDICES_68`: the left/right permutation of a mirrored face
  in the 68-point (iBUG / 300W) layout.
- :data:`FLIP_INDICES_21`: the same for the 21 AFLW points
  (:data:`AFLW21_NAMES`).
- :data:`FLM_INDICES` and :func:`select_flm_points`: the 18 points of the
  2DASL facial landmark map (REFERENCE.md section 4). Three of them are
  midpoints: the two eye centres (between the upper and lower lid points
  37/40 and 43/46) and the mouth centre (62/66).
- :data:`FLM_WEIGHTS`: the relative 4 : 2 : 1 weights of these 18 points in
  the 2D consistency loss.
"""
from typing import Tuple, Union

import numpy as np
from torch import Tensor

AFLW21_NAMES = ('left_brow_left', 'left_brow_center', 'left_brow_right',
                'right_brow_left', 'right_brow_center', 'right_brow_right',
                'left_eye_left', 'left_eye_center', 'left_eye_right',
                'right_eye_left', 'right_eye_center', 'right_eye_right',
                'left_ear', 'nose_left', 'nose_center', 'nose_right',
                'right_ear', 'mouth_left', 'mouth_center', 'mouth_right',
                'chin_center')

# 68-point rows that receive each AFLW point (0-based on both sides, "left" =
# image left). These are the rows the 18 facial-landmark-map points are read
# from; a point that the map takes as the midpoint of two rows (eye centre =
# rows 37 and 40, mouth centre = rows 62 and 66) fills both rows, so their
# midpoint is the AFLW point. The ears (12, 16) and the chin (20) have no map
# point and are dropped.
AFLW21_TO_68 = {
    0: (17, ),
    1: (19, ),
    2: (21, ),
    3: (22, ),
    4: (24, ),
    5: (26, ),
    6: (36, ),
    7: (37, 38, 40, 41),
    8: (39, ),
    9: (42, ),
    10: (43, 44, 46, 47),
    11: (45, ),
    13: (31, ),
    14: (30, ),
    15: (35, ),
    17: (48, ),
    18: (62, 66),
    19: (54, )
}
_SRC = np.array([s for s, rows in AFLW21_TO_68.items() for _ in rows])
_DST = np.array([r for rows in AFLW21_TO_68.values() for r in rows])


def aflw21_to_68(points: np.ndarray,
                 visible: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Place AFLW 21-point landmarks in the 68-point rows the facial landmark
    map reads.

    Args:
        points (np.ndarray): (N, 21, 2) AFLW points.
        visible (np.ndarray): (N, 21) bool, False for missing points.

    Returns:
        tuple[np.ndarray, np.ndarray]: (N, 68, 2) float32 points (0 in rows
        without an AFLW point) and (N, 68) bool visibility (False there and
        where the AFLW point is missing).
    """
    if points.ndim != 3 or points.shape[1:] != (21, 2):
        raise ValueError(f'AFLW points must be (N, 21, 2), got {points.shape}')
    out = np.zeros((points.shape[0], 68, 2), dtype=np.float32)
    out_visible = np.zeros((points.shape[0], 68), dtype=bool)
    out[:, _DST] = points[:, _SRC]
    out_visible[:, _DST] = visible[:, _SRC]
    out[~out_visible] = 0
    return out, out_visible


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

# The 68-point rows of each AFLW point (the mean of two rows for the eye and
# mouth centres); the ears and the chin centre have no 68-point counterpart.
AFLW21_FROM_68 = tuple(AFLW21_TO_68.get(k) for k in range(21))

# Row of each AFLW point among the 18 map points (the 21 without the ears and
# the chin, in order); None for those three.
AFLW21_FROM_FLM = tuple(
    None if k in (12, 16, 20) else k - (k > 12) - (k > 16) for k in range(21))

# Mirror permutations by point count: ``perm[k]`` is the old index of the
# point that becomes point k. The 34 AFLW-LFPA points have no documented
# order, so none is assumed.
FLIP_INDICES = {68: FLIP_INDICES_68, 21: FLIP_INDICES_21}

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
