"""2D landmark consistency of 2DASL (``L_2d-con``, and ``L_cyc``)."""
from typing import Optional

import torch
from torch import Tensor, nn

from mmface3d.morphable.landmark_layouts import FLM_INDICES, FLM_WEIGHTS
from mmface3d.registry import MODELS

NUM_POINTS = len(FLM_INDICES)
MODES = ('paper', 'released')


@MODELS.register_module()
class Landmark2DConsistencyLoss(nn.Module):
    """Distance between the 18 landmark-map points of two landmark sets.

    2DASL compares the input 2D landmarks ``x`` with those projected from
    the predicted face ``y`` (``L_2d-con``), and, in the cycle pass, with
    the landmarks projected again after the regressor has seen a map built
    from ``y`` (``L_cyc``). Points are the 18 of
    :data:`~mmface3d.morphable.landmark_layouts.FLM_INDICES`, in crop
    pixels. With per-point weights ``m`` and visibility ``v``:

    - ``mode='paper'`` (REFERENCE.md section 5): per sample
      ``sum_i m_i v_i ||x_i - y_i||_2`` with ``m`` = ``FLM_WEIGHTS``
      (4 nose tip and mouth centre, 2 eye centres and mouth corners, 1 the
      rest), then the mean over the samples with at least one visible point
      (0, with a gradient path, when no sample has one).
    - ``mode='released'`` (the released 2DASL code):
      ``mean((m_i v_i (y_i - x_i)) ** 2) / 18`` with ``m`` = 2 / 1 / 0.5
      (half of ``FLM_WEIGHTS``); the mean runs over every sample, point and
      coordinate (the released code knew no missing points).

    ``use_weight_mask=False`` sets every ``m_i`` to 1 in both modes.

    Args:
        loss_weight (float): Scale of the loss. Defaults to 1.0.
        mode (str): ``'paper'`` or ``'released'``. Defaults to ``'paper'``.
        use_weight_mask (bool): Weight the points as above. Defaults to
            True.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 mode: str = 'paper',
                 use_weight_mask: bool = True) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(
                f"mode must be 'paper' or 'released', got {mode!r}")
        self.loss_weight = loss_weight
        self.mode = mode
        self.use_weight_mask = use_weight_mask
        weights = torch.from_numpy(FLM_WEIGHTS.astype('float32'))
        if not use_weight_mask:
            weights = torch.ones_like(weights)
        elif mode == 'released':
            weights = weights / 2
        self.register_buffer('point_weights', weights, persistent=False)

    def forward(self,
                pred_points: Tensor,
                target_points: Tensor,
                visible: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred_points (Tensor): (B, 18, 2) points projected from the
                predicted face, crop pixels.
            target_points (Tensor): (B, 18, 2) input (detected or
                annotated) points, crop pixels; values at invisible points
                are ignored (they may be any marker, even NaN).
            visible (Tensor, optional): (B, 18) bool, False where a target
                point is missing. Defaults to None (all visible).

        Returns:
            Tensor: Scalar loss.
        """
        if pred_points.ndim != 3 or pred_points.shape[1] != NUM_POINTS or \
                pred_points.shape != target_points.shape:
            raise ValueError(
                f'Landmark2DConsistencyLoss: pred_points '
                f'{tuple(pred_points.shape)} and target_points '
                f'{tuple(target_points.shape)} must both be (B, 18, 2)')
        diff = pred_points - target_points.to(pred_points)
        weights = self.point_weights.to(diff).expand(diff.shape[:2])
        if visible is not None:
            if visible.shape != diff.shape[:2]:
                raise ValueError(
                    f'Landmark2DConsistencyLoss: visible '
                    f'{tuple(visible.shape)} must be {tuple(diff.shape[:2])}')
            visible = visible.to(device=diff.device, dtype=torch.bool)
            diff = torch.where(visible[..., None], diff, 0)
            weights = weights * visible
        if self.mode == 'released':
            loss = ((weights[..., None] * diff)**2).mean() / NUM_POINTS
            return self.loss_weight * loss
        per_sample = (weights * torch.linalg.vector_norm(diff, dim=-1)).sum(1)
        if visible is None:
            return self.loss_weight * per_sample.mean()
        counted = visible.any(1)
        loss = (per_sample * counted).sum() / counted.sum().clamp(min=1)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, mode={self.mode!r}, '
                f'use_weight_mask={self.use_weight_mask}')
