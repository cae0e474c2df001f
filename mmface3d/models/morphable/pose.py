"""Camera pose of the 62-d parameters: ``P = [f R | t]`` with
``R = Rx(pitch) @ Ry(yaw) @ Rz(roll)`` (REFERENCE.md sections 2 and 3).

All functions are batched torch and keep the device and dtype of their input.
"""
from typing import Tuple, Union

import torch
from torch import Tensor


def euler_to_rotation(angles: Tensor) -> Tensor:
    """Rotation matrices from Euler angles.

    Args:
        angles (Tensor): (B, 3) ``[pitch, yaw, roll]`` in radians.

    Returns:
        Tensor: (B, 3, 3) ``Rx(pitch) @ Ry(yaw) @ Rz(roll)``.
    """
    cos, sin = torch.cos(angles), torch.sin(angles)
    one, zero = torch.ones_like(cos[:, 0]), torch.zeros_like(cos[:, 0])
    ca, cb, cc = cos.unbind(1)
    sa, sb, sc = sin.unbind(1)
    rx = torch.stack([one, zero, zero, zero, ca, sa, zero, -sa, ca], 1)
    ry = torch.stack([cb, zero, -sb, zero, one, zero, sb, zero, cb], 1)
    rz = torch.stack([cc, sc, zero, -sc, cc, zero, zero, zero, one], 1)
    return rx.view(-1, 3, 3) @ ry.view(-1, 3, 3) @ rz.view(-1, 3, 3)


def rotation_to_euler(rotation: Tensor) -> Tensor:
    """Euler angles of rotation matrices, the inverse of
    :func:`euler_to_rotation`.

    The first row of ``R`` is ``[cos b cos c, cos b sin c, -sin b]`` and its
    last column ``[-sin b, sin a cos b, cos a cos b]``, so yaw comes back in
    [-90, 90] degrees. An annotation whose yaw lies outside that range (a few
    AFLW2000-3D fits do) is returned as the equivalent triple inside it.

    Args:
        rotation (Tensor): (B, 3, 3) rotation matrices.

    Returns:
        Tensor: (B, 3) ``[pitch, yaw, roll]`` in radians.
    """
    yaw = torch.asin((-rotation[:, 0, 2]).clamp(-1.0, 1.0))
    pitch = torch.atan2(rotation[:, 1, 2], rotation[:, 2, 2])
    roll = torch.atan2(rotation[:, 0, 1], rotation[:, 0, 0])
    return torch.stack([pitch, yaw, roll], 1)


def decompose_camera(camera: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Split ``[f R | t]`` into scale, rotation and translation.

    ``|f|`` is the norm of the first row and R the row-normalised matrix. A
    fit with ``f < 0`` (AFLW2000-3D has one, image index 1902) makes the
    normalised matrix a reflection (det -1); the sign then goes into ``f``
    so that ``R`` is always a proper rotation and ``f R`` rebuilds the
    camera exactly.

    Args:
        camera (Tensor): (B, 3, 4) camera matrices (``params[:, :12]``
            reshaped row-major).

    Returns:
        tuple[Tensor, Tensor, Tensor]: scale ``f`` (B,), rotation ``R``
        (B, 3, 3) with det +1, and translation ``t`` (B, 3).
    """
    scaled_rot = camera[:, :, :3]
    rows = scaled_rot / scaled_rot.norm(dim=2, keepdim=True)
    det = (torch.linalg.cross(rows[:, 0], rows[:, 1]) * rows[:, 2]).sum(1)
    sign = torch.where(det < 0, -1.0, 1.0).to(camera)
    scale = sign * scaled_rot[:, 0].norm(dim=1)
    return scale, sign[:, None, None] * rows, camera[:, :, 3]


def compose_camera(scale: Tensor, rotation: Tensor,
                   translation: Tensor) -> Tensor:
    """Inverse of :func:`decompose_camera`.

    Args:
        scale (Tensor): (B,) scale ``f``.
        rotation (Tensor): (B, 3, 3) rotations.
        translation (Tensor): (B, 3) translations.

    Returns:
        Tensor: (B, 3, 4) ``[f R | t]``.
    """
    return torch.cat([scale[:, None, None] * rotation, translation[..., None]],
                     dim=2)


def camera_to_pose(camera: Tensor) -> Tensor:
    """Head pose of camera matrices.

    Args:
        camera (Tensor): (B, 3, 4) ``[f R | t]``.

    Returns:
        Tensor: (B, 3) ``[yaw, pitch, roll]`` in degrees, the order 3DDFA and
        the AFLW2000-3D pose file use.
    """
    _, rotation, _ = decompose_camera(camera)
    pitch, yaw, roll = rotation_to_euler(rotation).unbind(1)
    return torch.rad2deg(torch.stack([yaw, pitch, roll], 1))


def pose_to_camera(pose: Tensor, scale: Tensor, translation: Tensor) -> Tensor:
    """Inverse of :func:`camera_to_pose`.

    Args:
        pose (Tensor): (B, 3) ``[yaw, pitch, roll]`` in degrees.
        scale (Tensor): (B,) scale ``f``.
        translation (Tensor): (B, 3) translation.

    Returns:
        Tensor: (B, 3, 4) ``[f R | t]``.
    """
    yaw, pitch, roll = torch.deg2rad(pose).unbind(1)
    rotation = euler_to_rotation(torch.stack([pitch, yaw, roll], 1))
    return compose_camera(scale, rotation, translation)


def flip_offsets(convention: str, crop_size: int = 120) -> Tuple[float, float]:
    """Image-row flip of a params convention: ``x + dx``, ``fy - y``.

    Args:
        convention (str): ``'v1'`` (3DDFA v1, 2DASL: ``y = 121 - y``) or
            ``'v2'`` (3DDFA_V2: ``x = x - 1``, ``y = 120 - y``).
        crop_size (int): Side of the crop. Defaults to 120.

    Returns:
        tuple[float, float]: ``(dx, fy)``.
    """
    if convention == 'v1':
        return 0.0, float(crop_size + 1)
    if convention == 'v2':
        return -1.0, float(crop_size)
    raise ValueError(f"convention must be 'v1' or 'v2', got {convention!r}")


def pixel_origin(convention: str) -> float:
    """Coordinate of the centre of pixel (0, 0) in a params convention: the
    v1 crops (and the AFLW2000-3D / 300W-LP annotations) are 1-based, as
    MATLAB counts, the 3DDFA_V2 ones 0-based. Renderers need it to put a
    projected mesh on the right pixels.

    Args:
        convention (str): ``'v1'`` or ``'v2'``.

    Returns:
        float: 1.0 for v1, 0.0 for v2.
    """
    origins = {'v1': 1.0, 'v2': 0.0}
    if convention not in origins:
        raise ValueError(
            f"convention must be 'v1' or 'v2', got {convention!r}")
    return origins[convention]


def fit_to_params(pose_para: Tensor,
                  shape_para: Tensor,
                  exp_para: Tensor,
                  roi_box: Tensor,
                  img_height: Union[Tensor, float],
                  n_shape: int = 40,
                  n_exp: int = 10,
                  convention: str = 'v1',
                  crop_size: int = 120) -> Tensor:
    """Ground-truth crop params from AFLW2000-3D / 300W-LP 3DMM fits.

    The fit's image model is ``V = f R S + t`` with ``y_img = H + 1 - V_y``.
    With ``s = crop_size / (ex - sx)`` the crop camera is ``s f R`` and
    ``t = [s (tx - sx) - dx, s ty + fy - s (H + 1 - sy), s tz]``, where
    ``(dx, fy)`` is the convention's flip (:func:`flip_offsets`; ``(0, 121)``
    for v1). Shape and expression coefficients are truncated.

    Args:
        pose_para (Tensor): (B, 7) ``[pitch, yaw, roll, tx, ty, tz, f]``.
        shape_para (Tensor): (B, >=n_shape) shape coefficients.
        exp_para (Tensor): (B, >=n_exp) expression coefficients.
        roi_box (Tensor): (B, 4) crop boxes ``[sx, sy, ex, ey]``.
        img_height (Tensor | float): (B,) or scalar image height H.
        n_shape (int): Shape coefficients kept. Defaults to 40.
        n_exp (int): Expression coefficients kept. Defaults to 10.
        convention (str): Params convention. Defaults to ``'v1'``.
        crop_size (int): Crop side. Defaults to 120.

    Returns:
        Tensor: (B, 12 + n_shape + n_exp) raw crop params.
    """
    flip_x, flip_y = flip_offsets(convention, crop_size)
    batch = pose_para.shape[0]
    for name, value, width in (('pose_para', pose_para, 7),
                               ('shape_para', shape_para, n_shape),
                               ('exp_para', exp_para, n_exp),
                               ('roi_box', roi_box, 4)):
        if value.ndim != 2 or value.shape[0] != batch or \
                value.shape[1] < width:
            raise ValueError(f'{name} must be ({batch}, >={width}), got '
                             f'{tuple(value.shape)}')
    img_height = torch.as_tensor(img_height).to(pose_para).expand(batch)
    roi_box = roi_box.to(pose_para)
    sx, sy, ex = roi_box[:, 0], roi_box[:, 1], roi_box[:, 2]
    s = crop_size / (ex - sx)
    rotation = (s * pose_para[:, 6])[:, None, None] * euler_to_rotation(
        pose_para[:, :3])
    tx, ty, tz = pose_para[:, 3:6].unbind(1)
    t = torch.stack([
        s * (tx - sx) - flip_x, s * ty + flip_y - s * (img_height + 1 - sy),
        s * tz
    ], 1)
    camera = torch.cat([rotation, t[..., None]], 2).reshape(batch, 12)
    return torch.cat(
        [camera, shape_para[:, :n_shape].to(pose_para),
         exp_para[:, :n_exp].to(pose_para)], 1)
