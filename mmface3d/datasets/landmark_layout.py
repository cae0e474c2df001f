"""Landmark layouts and the geometry datasets derive from landmarks: the AFLW
21-point to 68-point mapping, crop boxes and bounding boxes of the visible
points, and image sizes read from file headers."""
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np
from PIL import Image

from mmface3d.models.morphable import benchmark_roi_box

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


def _fill_hidden(points: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Copy of ``points`` whose hidden points sit on the mean of the visible
    ones, so that min / max over all points are those of the visible ones."""
    count = visible.sum(1, keepdims=True)
    if (count == 0).any():
        raise ValueError('every sample needs at least one visible point')
    mean = (points * visible[..., None]).sum(1) / count
    return np.where(visible[..., None], points, mean[:, None])


def roi_boxes_from_landmarks(points: np.ndarray, visible: np.ndarray,
                             sizes: np.ndarray) -> np.ndarray:
    """The benchmark crop box (REFERENCE.md section 3) of the visible points.

    Args:
        points (np.ndarray): (N, K, 2) landmarks in image pixels.
        visible (np.ndarray): (N, K) bool.
        sizes (np.ndarray): (N, 2) image sizes ``[W, H]``.

    Returns:
        np.ndarray: (N, 4) float32 ``[sx, sy, ex, ey]``, clipped to the image.
    """
    filled = _fill_hidden(points.astype(np.float64), visible)
    boxes = np.zeros((points.shape[0], 4), dtype=np.float32)
    unique, inverse = np.unique(sizes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    for k, (width, height) in enumerate(unique):
        rows = inverse == k
        boxes[rows] = benchmark_roi_box(filled[rows].transpose(0, 2, 1),
                                        int(width), int(height))
    return boxes


def bbox_of_visible(points: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """(N, K, 2) points, (N, K) visibility -> (N, 4) float32 tight boxes
    ``[x0, y0, x1, y1]`` of the visible points."""
    filled = _fill_hidden(points.astype(np.float64), visible)
    return np.concatenate([filled.min(1), filled.max(1)],
                          axis=1).astype(np.float32)


def read_image_sizes(paths: Sequence[Union[str, Path]]
                     ) -> Tuple[np.ndarray, List[str]]:
    """Image sizes from the file headers (no decoding).

    Args:
        paths (Sequence[str | Path]): Image files.

    Returns:
        tuple[np.ndarray, list[str]]: (N, 2) int64 ``[W, H]`` (0 where the
        file cannot be read) and one reason per path ('' when readable).
    """
    sizes = np.zeros((len(paths), 2), dtype=np.int64)
    reasons = [''] * len(paths)
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as img:
                sizes[i] = img.size
        except (OSError, ValueError) as err:
            reasons[i] = f'{type(err).__name__}: {err}'
    return sizes, reasons
