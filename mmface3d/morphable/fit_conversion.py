"""3DMM fit annotations (AFLW2000-3D / 300W-LP ``.mat`` files) and their
conversion into the 62 parameters (REFERENCE.md section 3)."""
from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np
import scipy.io as sio
import torch
from torch import Tensor

from .affine import box_affine, transform_params
from .conventions import flip_offsets
from .pose import euler_to_rotation

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


def fit_to_params(pose_para: Tensor,
                  shape_para: Tensor,
                  exp_para: Tensor,
                  img_height: Union[Tensor, float],
                  roi_box: Optional[Tensor] = None,
                  n_shape: int = 40,
                  n_exp: int = 10,
                  convention: str = 'v1',
                  crop_size: int = 120) -> Tensor:
    """Ground-truth params from AFLW2000-3D / 300W-LP 3DMM fits.

    The fit's image model is ``V = f R S + t`` with ``y_img = H + 1 - V_y``.
    Without ``roi_box`` the params are in the image frame: they project
    every vertex straight onto its image pixel (camera ``f R``, translation
    ``[tx - dx, ty + fy - (H + 1), tz]`` with the convention's flip
    ``(dx, fy)`` of :func:`~.conventions.flip_offsets`). With ``roi_box``
    they are moved into the crop of that box by its per-axis map
    (:func:`~.affine.box_affine`): with ``s_x = crop_size / (ex - sx)``,
    ``s_y = crop_size / (ey - sy)`` and ``s_z = (s_x + s_y) / 2`` the camera
    rows are scaled by ``s_x``, ``s_y``, ``s_z`` and ``t = [s_x (tx - sx) -
    dx, s_y ty + fy - s_y (H + 1 - sy), s_z tz]``. Shape and expression
    coefficients are truncated to ``n_shape`` / ``n_exp``.

    Args:
        pose_para (Tensor): (B, 7) ``[pitch, yaw, roll, tx, ty, tz, f]``.
        shape_para (Tensor): (B, >=n_shape) shape coefficients.
        exp_para (Tensor): (B, >=n_exp) expression coefficients.
        img_height (Tensor | float): (B,) or scalar image height H.
        roi_box (Tensor, optional): (B, 4) crop boxes ``[sx, sy, ex, ey]``;
            None for the image frame. Defaults to None.
        n_shape (int): Shape coefficients kept. Defaults to 40.
        n_exp (int): Expression coefficients kept. Defaults to 10.
        convention (str): Params convention. Defaults to ``'v1'``.
        crop_size (int): Crop side of the convention and the box map.
            Defaults to 120.

    Returns:
        Tensor: (B, 12 + n_shape + n_exp) raw params.
    """
    dx, fy = flip_offsets(convention, crop_size)
    batch = pose_para.shape[0]
    for name, value, width in (('pose_para', pose_para, 7),
                               ('shape_para', shape_para, n_shape),
                               ('exp_para', exp_para, n_exp)):
        if value.ndim != 2 or value.shape[0] != batch or \
                value.shape[1] < width:
            raise ValueError(f'{name} must be ({batch}, >={width}), got '
                             f'{tuple(value.shape)}')
    img_height = torch.as_tensor(img_height).to(pose_para).expand(batch)
    rotation = pose_para[:, 6, None, None] * euler_to_rotation(
        pose_para[:, :3])
    tx, ty, tz = pose_para[:, 3:6].unbind(1)
    t = torch.stack([tx - dx, ty + fy - (img_height + 1), tz], 1)
    camera = torch.cat([rotation, t[..., None]], 2).reshape(batch, 12)
    params = torch.cat([
        camera, shape_para[:, :n_shape].to(pose_para),
        exp_para[:, :n_exp].to(pose_para)
    ], 1)
    if roi_box is None:
        return params
    if roi_box.shape != (batch, 4):
        raise ValueError(f'roi_box must be ({batch}, 4), got '
                         f'{tuple(roi_box.shape)}')
    return transform_params(params,
                            box_affine(roi_box.to(pose_para), crop_size),
                            convention, crop_size)
