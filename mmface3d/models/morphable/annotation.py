"""Readers for 3DMM fit annotations (AFLW2000-3D / 300W-LP ``.mat`` files) and
the benchmark crop-box rule (REFERENCE.md section 3)."""
from pathlib import Path
from typing import Dict, Union

import numpy as np
import scipy.io as sio

# field -> (minimum number of values, shape written in error messages)
REQUIRED_FIELDS = {
    'Pose_Para': (7, '(1, 7) [pitch, yaw, roll, tx, ty, tz, f]'),
    'Shape_Para': (40, '(199, 1)'),
    'Exp_Para': (10, '(29, 1)'),
}
OPTIONAL_FIELDS = {'pt3d_68': (3, 68), 'pt2d': (2, None)}


def load_fit_mat(path: Union[str, Path]) -> Dict[str, np.ndarray]:
    """Read a 3DMM fit ``.mat`` file in the AFLW2000-3D / 300W-LP layout.

    Args:
        path (str | Path): The ``.mat`` file.

    Returns:
        dict: ``pose_para`` (7,) float64, ``shape_para`` (S,), ``exp_para``
        (E,) and, when present, ``pt3d_68`` (3, 68) and ``pt2d`` (2, K).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file cannot be parsed, or a required field is
            missing or has too few values (the message names the file, the
            field and the expected shape).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'3DMM fit file {path} does not exist')
    try:
        mat = sio.loadmat(str(path))
    except Exception as err:  # scipy raises several types for broken files
        raise ValueError(f'{path}: not a readable .mat file ({err})') from err
    out = {}
    for field, (min_size, shape) in REQUIRED_FIELDS.items():
        if field not in mat:
            raise ValueError(
                f'{path}: field `{field}` is missing (expected {shape})')
        value = np.asarray(mat[field], dtype=np.float64).reshape(-1)
        if value.size < min_size or not np.isfinite(value).all():
            raise ValueError(
                f'{path}: field `{field}` has {value.size} values, expected '
                f'{shape} of finite numbers (at least {min_size})')
        out[field.lower()] = value
    for field, (rows, cols) in OPTIONAL_FIELDS.items():
        if field not in mat:
            continue
        value = np.asarray(mat[field], dtype=np.float64)
        if value.ndim != 2 or value.shape[0] != rows or (
                cols is not None and value.shape[1] != cols):
            raise ValueError(f'{path}: field `{field}` has shape '
                             f'{value.shape}, expected ({rows}, '
                             f'{cols or "K"})')
        out[field.lower()] = value
    return out


def benchmark_roi_box(landmarks: np.ndarray, img_width: int,
                      img_height: int) -> np.ndarray:
    """The 3DDFA benchmark crop box from 68 landmarks.

    The square around the landmark bbox (side ``max(w, h)``) is enlarged to
    its diagonal; its start is rounded, its side rounded, and the box clipped
    to the 1-based image ``[1, W] x [1, H]``. This reproduces
    ``AFLW2000-3D_crop.roi_box.npy`` exactly.

    Args:
        landmarks (np.ndarray): (B, 2+, 68) landmarks, x in row 0, y in row 1.
        img_width (int): Image width W.
        img_height (int): Image height H.

    Returns:
        np.ndarray: (B, 4) float boxes ``[sx, sy, ex, ey]``.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.ndim != 3 or landmarks.shape[1] < 2:
        raise ValueError(
            f'landmarks must be (B, 2+, K), got {landmarks.shape}')
    lo, hi = landmarks[:, :2].min(2), landmarks[:, :2].max(2)
    center = (lo + hi) / 2
    side = np.sqrt(2) * (hi - lo).max(1, keepdims=True)
    start = np.round(center - side / 2)
    box = np.concatenate([start, start + np.round(side)], axis=1)
    return np.clip(box, 1, [img_width, img_height, img_width, img_height])
