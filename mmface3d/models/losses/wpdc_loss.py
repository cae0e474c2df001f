"""Weighted parameter distance cost (WPDC) of 3DDFA, the 2DASL ``L_3d``."""
import math
from typing import Optional

import torch
from torch import Tensor, nn

from mmface3d.morphable import NUM_POSE, MorphableModel
from mmface3d.registry import MODELS

# 3DDFA's scale of the shape / expression weights against the pose weights.
SHAPE_EXP_SCALE = 0.00057339936
# Index of the z-translation in the row-major 3x4 camera: under the
# orthographic camera it moves nothing in the image, so it gets no weight.
Z_TRANSLATION = 11
EPS = 1e-6


@MODELS.register_module()
class WPDCLoss(nn.Module):
    """``loss_weight * mean(W * (p_pred - p_gt) ** 2)`` on whitened params.

    The weights ``W`` (REFERENCE.md section 5) say how far each parameter,
    moved alone from the ground truth to the prediction, moves a set of
    vertices: the 68 landmarks plus ``num_resample`` vertices drawn afresh
    on every call. With ``dp = |p_pred - p_gt|`` in raw (de-whitened) space,
    the ground-truth shape ``S`` (3, K) of those K vertices (no camera
    applied) and the model basis ``w`` restricted to their 3K rows:

    - camera entry ``(r, c)`` (index ``4 r + c``), ``c < 3``:
      ``dp * ||S[c]||`` (the coordinate it multiplies, over the K vertices);
    - x / y translation (indices 3, 7): ``dp * sqrt(K)``;
    - shape / expression coefficient j: ``dp * ||w[:, j]|| * 0.00057339936``;
    - then ``+ 1e-6`` and divided by the sample's largest weight;
    - the z-translation (index 11) gets weight 0 and takes no part in that
      maximum (as in 3DDFA, which never computes it): the orthographic
      camera cannot see depth, and an error there must not rescale the
      other weights.

    The weights are computed without gradient: the gradient of the loss is
    that of a weighted squared difference.

    Args:
        loss_weight (float): Scale of the loss. Defaults to 1.0.
        num_resample (int): Vertices drawn (without replacement, at most
            the mesh's vertex count) on each call besides the landmarks;
            0 uses the landmarks alone. Defaults to 132 (3DDFA).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 num_resample: int = 132) -> None:
        super().__init__()
        if num_resample < 0:
            raise ValueError(
                f'num_resample must be >= 0, got {num_resample}')
        self.loss_weight = loss_weight
        self.num_resample = num_resample

    def forward(self,
                pred_white: Tensor,
                target_white: Tensor,
                model: MorphableModel,
                vertex_ids: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred_white (Tensor): (B, P) predicted whitened params.
            target_white (Tensor): (B, P) ground-truth whitened params.
            model (MorphableModel): The model the params belong to (bases,
                landmarks, whitening statistics).
            vertex_ids (Tensor, optional): (R,) ids of the resampled
                vertices, to fix them (tests). Defaults to None: draw
                ``num_resample`` with ``torch.randperm`` on the model's
                device (torch's global seed decides them).

        Returns:
            Tensor: Scalar loss.
        """
        weights = self.weights(pred_white, target_white, model, vertex_ids)
        error = (pred_white.to(weights) - target_white.to(weights))**2
        return self.loss_weight * (weights * error).mean()

    def weights(self,
                pred_white: Tensor,
                target_white: Tensor,
                model: MorphableModel,
                vertex_ids: Optional[Tensor] = None) -> Tensor:
        """The WPDC weights of a batch, see the class docstring.

        Args:
            pred_white (Tensor): (B, P) predicted whitened params.
            target_white (Tensor): (B, P) ground-truth whitened params.
            model (MorphableModel): Their morphable model.
            vertex_ids (Tensor, optional): (R,) resampled vertex ids, see
                :meth:`forward`. Defaults to None.

        Returns:
            Tensor: (B, P) weights in [0, 1] of the model's dtype, without
            gradient; each row's largest weight is 1, index 11 is 0.
        """
        if pred_white.shape != target_white.shape:
            raise ValueError(
                f'WPDCLoss: pred_white {tuple(pred_white.shape)} and '
                f'target_white {tuple(target_white.shape)} differ')
        with torch.no_grad():
            like = model.u
            pred = model.dewhiten(pred_white.detach().to(like))
            target = model.dewhiten(target_white.detach().to(like))
            u, w = self._vertex_rows(model, vertex_ids)
            num_points = u.shape[0] // 3
            # (B, K, 3): ground-truth shape, no camera
            shape = (u + target[:, NUM_POSE:] @ w.T).reshape(
                target.shape[0], num_points, 3)
            axis_norm = torch.linalg.vector_norm(shape, dim=1)
            # per camera column: the x / y / z coordinate it multiplies,
            # and sqrt(K) for the translation column
            scale = torch.cat([
                axis_norm,
                axis_norm.new_full((axis_norm.shape[0], 1),
                                   math.sqrt(num_points))
            ], 1)
            diff = (pred - target).abs()
            pose = diff[:, :NUM_POSE].reshape(-1, 3, 4) * scale[:, None]
            coeff = diff[:, NUM_POSE:] * (
                torch.linalg.vector_norm(w, dim=0) * SHAPE_EXP_SCALE)
            weights = torch.cat([pose.flatten(1), coeff], 1) + EPS
            weights[:, Z_TRANSLATION] = 0
            return weights / weights.amax(1, keepdim=True)

    def _vertex_rows(self, model: MorphableModel,
                     vertex_ids: Optional[Tensor]):
        """Rows ``u`` (3K,) and ``w`` (3K, P - 12) of the 68 landmarks and
        the resampled vertices."""
        device = model.u.device
        if vertex_ids is None:
            if self.num_resample == 0:
                return model.u_kp, model.w_kp
            vertex_ids = torch.randperm(
                model.num_vertices, device=device)[:self.num_resample]
        rows = (3 * vertex_ids.to(device).reshape(-1, 1) +
                torch.arange(3, device=device)).reshape(-1)
        return (torch.cat([model.u_kp, model.u[rows]]),
                torch.cat([model.w_kp, model.w[rows]]))

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'num_resample={self.num_resample}')
