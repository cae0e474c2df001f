"""2D affine maps between an image and a face crop, and their action on
landmarks and on the morphable-model params.

Coordinates are continuous pixel coordinates in which pixel ``j`` (0-based)
covers ``[j, j + 1)``. In these coordinates the benchmark crop (the
zero-padded ``img[sy:ey, sx:ex]`` resized to ``crop_size`` with OpenCV's
half-pixel-centre resize) is exactly ``q = (p - start) * crop_size / (end -
start)``, the points rule of the pipeline contract, so one affine describes
both the image warp and the landmark mapping.

An affine is a (B, 2, 3) tensor ``[A | b]`` acting on (x, y) as ``A p + b``;
depth (z) is scaled by :func:`affine_z_scale`, the mean of the two row norms
of ``A`` (the mean of the two axis scales of an unrotated crop).
"""
import torch
from torch import Tensor

from .conventions import NUM_POSE, flip_offsets


def _check_affine(affine: Tensor) -> None:
    if affine.ndim != 3 or affine.shape[1:] != (2, 3):
        raise ValueError(
            f'affine must be (B, 2, 3), got {tuple(affine.shape)}')


def _check_boxes(roi_box: Tensor) -> None:
    if roi_box.ndim != 2 or roi_box.shape[1] != 4:
        raise ValueError('roi_box must be (B, 4) [sx, sy, ex, ey], got '
                         f'{tuple(roi_box.shape)}')
    if not ((roi_box[:, 2:] > roi_box[:, :2]).all()):
        raise ValueError('roi_box must have ex > sx and ey > sy, got '
                         f'{roi_box.tolist()}')


def box_affine(roi_box: Tensor, crop_size: int = 120) -> Tensor:
    """The crop of a box: ``q = (p - start) * crop_size / (end - start)``.

    Args:
        roi_box (Tensor): (B, 4) boxes ``[sx, sy, ex, ey]``.
        crop_size (int): Side of the crop. Defaults to 120.

    Returns:
        Tensor: (B, 2, 3) image-to-crop affines (per-axis scales).
    """
    _check_boxes(roi_box)
    start = roi_box[:, :2]
    scale = crop_size / (roi_box[:, 2:] - start)
    linear = torch.diag_embed(scale)
    return torch.cat([linear, (-scale * start)[..., None]], 2)


def invert_affine(affine: Tensor) -> Tensor:
    """(B, 2, 3) affines -> (B, 2, 3) inverse affines."""
    _check_affine(affine)
    inv = torch.linalg.inv(affine[:, :, :2])
    return torch.cat([inv, -inv @ affine[:, :, 2:]], 2)


def compose_affine(outer: Tensor, inner: Tensor) -> Tensor:
    """The affine applying ``inner`` first, then ``outer`` (both (B, 2, 3)).
    """
    _check_affine(outer)
    _check_affine(inner)
    linear = outer[:, :, :2] @ inner[:, :, :2]
    return torch.cat([linear, outer[:, :, :2] @ inner[:, :, 2:] +
                      outer[:, :, 2:]], 2)


def flip_affine(axis: Tensor) -> Tensor:
    """The horizontal mirror ``x -> axis - x``.

    In pixel-corner coordinates ``axis`` is the image width W; where pixel
    centres sit at ``o + j`` it is ``W + 2 o - 1`` (``W + 1`` for 1-based
    points).

    Args:
        axis (Tensor): (B,) mirror sums.

    Returns:
        Tensor: (B, 2, 3) affines.
    """
    one, zero = torch.ones_like(axis), torch.zeros_like(axis)
    return torch.stack([-one, zero, axis, zero, one, zero], 1).view(-1, 2, 3)


def is_reflection(affine: Tensor) -> Tensor:
    """(B, 2, 3) affines -> (B,) bool, True where ``det A < 0`` (the map
    mirrors the image)."""
    _check_affine(affine)
    return torch.linalg.det(affine[:, :, :2]) < 0


def affine_z_scale(affine: Tensor) -> Tensor:
    """(B, 2, 3) affines -> (B,) depth scale: mean of the row norms of ``A``.
    """
    _check_affine(affine)
    return affine[:, :, :2].norm(dim=2).mean(1)


def pixel_affine(affine: Tensor) -> Tensor:
    """The same map on 0-based pixel indices (pixel centres at integers), the
    matrix ``cv2.warpAffine`` takes.

    Args:
        affine (Tensor): (B, 2, 3) affines in pixel-corner coordinates.

    Returns:
        Tensor: (B, 2, 3) ``[A | b + A (0.5, 0.5) - 0.5]``.
    """
    _check_affine(affine)
    shift = affine[:, :, :2].sum(2, keepdim=True) / 2 - 0.5
    return torch.cat([affine[:, :, :2], affine[:, :, 2:] + shift], 2)


def transform_points(points: Tensor, affine: Tensor) -> Tensor:
    """Apply affines to point sets.

    Args:
        points (Tensor): (B, N, 2) or (B, N, 3) points; x, y are mapped by
            the affine, z is multiplied by :func:`affine_z_scale`.
        affine (Tensor): (B, 2, 3) affines.

    Returns:
        Tensor: (B, N, 2) or (B, N, 3) transformed points.
    """
    _check_affine(affine)
    if points.ndim != 3 or points.shape[2] not in (2, 3) or \
            points.shape[0] != affine.shape[0]:
        raise ValueError(f'points must be ({affine.shape[0]}, N, 2|3), got '
                         f'{tuple(points.shape)}')
    xy = points[:, :, :2] @ affine[:, :, :2].transpose(1, 2) + \
        affine[:, None, :, 2]
    if points.shape[2] == 2:
        return xy
    z = points[:, :, 2:] * affine_z_scale(affine)[:, None, None]
    return torch.cat([xy, z], 2)


def transform_params(params: Tensor,
                     affine: Tensor,
                     convention: str = 'v1',
                     crop_size: int = 120) -> Tensor:
    """Params of the same face seen through a 2D affine of the crop.

    The model projects ``q = F (P [S; 1]) + o`` with ``F = diag(1, -1, 1)``
    and ``o = (dx, fy, 0)`` (the convention's image-row flip, see
    :func:`.conventions.flip_offsets`). For the crop map
    ``q' = G q + (b, 0)`` with ``G = diag(A, z_scale)`` the new camera is

    ``P'[:, :3] = F G F P[:, :3]`` and
    ``P'[:, 3] = F G F P[:, 3] + F (G o + (b, 0) - o)``,

    exact for any affine, so the new params project every vertex to its
    transformed position. A similarity keeps ``P'[:, :3]`` a scaled rotation;
    a reflection (``det A < 0``) does not: see :class:`.mirror.FaceMirror`
    for mirroring, which also mirrors the shape. Shape and expression
    coefficients are unchanged.

    Args:
        params (Tensor): (B, P) raw params, ``P >= 12``; the first 12 are the
            row-major 3x4 camera.
        affine (Tensor): (B, 2, 3) crop-to-new-crop affines.
        convention (str): Params convention, ``'v1'`` or ``'v2'``. Defaults
            to ``'v1'``.
        crop_size (int): Crop side of the convention's flip. Defaults to 120.

    Returns:
        Tensor: (B, P) params in the new crop frame.
    """
    _check_affine(affine)
    if params.ndim != 2 or params.shape[1] < NUM_POSE or \
            params.shape[0] != affine.shape[0]:
        raise ValueError(f'params must be ({affine.shape[0]}, P >= 12), got '
                         f'{tuple(params.shape)}')
    dx, fy = flip_offsets(convention, crop_size)
    affine = affine.to(params)
    batch = params.shape[0]
    gain = params.new_zeros(batch, 3, 3)
    gain[:, :2, :2] = affine[:, :, :2]
    gain[:, 2, 2] = affine_z_scale(affine)
    flip = params.new_tensor([1.0, -1.0, 1.0])
    offset = params.new_tensor([dx, fy, 0.0])
    # F G F: conjugating by the row flip negates the off-diagonal x-y terms.
    gain_model = flip[:, None] * gain * flip
    shift = torch.cat([affine[:, :, 2], params.new_zeros(batch, 1)], 1)
    camera = params[:, :NUM_POSE].reshape(batch, 3, 4)
    translation = gain_model @ camera[:, :, 3:] + (
        flip * (gain @ offset + shift - offset))[..., None]
    camera = torch.cat([gain_model @ camera[:, :, :3], translation], 2)
    return torch.cat([camera.reshape(batch, NUM_POSE),
                      params[:, NUM_POSE:]], 1)
