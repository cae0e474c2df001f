"""The facial landmark map (FLM) of 2DASL (REFERENCE.md section 4), drawn in
batched torch: by the ``LandmarkMap`` transform for the network input and by
the cycle pass of :class:`~mmface3d.models.TwoDASL` on the model's device."""
from typing import Optional

import torch
from torch import Tensor

from .landmark_layouts import FLM_INDICES, select_flm_points


def flm_visibility(visible: Optional[Tensor]) -> Optional[Tensor]:
    """(B, 68) bool visibility of 68 points -> (B, 18) of the map points (a
    midpoint needs both of its rows); None stays None (all visible)."""
    if visible is None:
        return None
    index = torch.as_tensor(FLM_INDICES, device=visible.device)
    return visible[:, index].all(-1)


def draw_landmark_maps(landmarks: Tensor,
                       visible: Optional[Tensor] = None,
                       height: int = 120,
                       width: int = 120) -> Tensor:
    """Facial landmark maps of 68-point landmarks: :func:`draw_flm_maps` of
    their 18 map points (:func:`select_flm_points`; a hidden midpoint row
    hides its point).

    Args:
        landmarks (Tensor): (B, 68, 2+) crop-frame points.
        visible (Tensor, optional): (B, 68) bool, None for all visible.
        height (int): Map height. Defaults to 120.
        width (int): Map width. Defaults to 120.

    Returns:
        Tensor: (B, height, width) maps.
    """
    if landmarks.ndim != 3 or landmarks.shape[1] != 68 or \
            landmarks.shape[2] < 2:
        raise ValueError('landmarks must be (B, 68, 2+), got '
                         f'{tuple(landmarks.shape)}')
    return draw_flm_maps(
        select_flm_points(landmarks.detach()[..., :2]),
        flm_visibility(visible), height, width)


def draw_flm_maps(points: Tensor,
                  visible: Optional[Tensor] = None,
                  height: int = 120,
                  width: int = 120) -> Tensor:
    """Facial landmark maps of the 18 map points.

    Each map is -1 everywhere and +1 at ``floor(point)`` (row = y, col = x),
    indices clipped to ``[1, size - 1]`` as 2DASL does; hidden points are
    not drawn.

    Args:
        points (Tensor): (B, 18, 2+) crop-frame points.
        visible (Tensor, optional): (B, 18) bool, None for all visible.
        height (int): Map height. Defaults to 120.
        width (int): Map width. Defaults to 120.

    Returns:
        Tensor: (B, height, width) maps, on the device and in the float dtype
        of ``points`` (not differentiable).
    """
    if points.ndim != 3 or points.shape[1] != len(FLM_INDICES) or \
            points.shape[2] < 2:
        raise ValueError(f'points must be (B, {len(FLM_INDICES)}, 2+), got '
                         f'{tuple(points.shape)}')
    points = points.detach()[..., :2]
    batch = points.shape[0]
    cols = points[..., 0].floor().clamp(1, width - 1).long()
    rows = points[..., 1].floor().clamp(1, height - 1).long()
    flat = rows * width + cols + torch.arange(
        batch, device=points.device)[:, None] * (height * width)
    maps = points.new_full((batch * height * width, ), -1.0)
    flat = flat.reshape(-1) if visible is None else flat[visible]
    maps[flat] = 1.0
    return maps.view(batch, height, width)
