"""Camera pose of the 62-d parameters: ``P = [f R | t]`` with
``R = Rx(pitch) @ Ry(yaw) @ Rz(roll)`` (REFERENCE.md sections 2 and 3).

All functions are batched torch and keep the device and dtype of their input.
"""
from typing import Tuple

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
