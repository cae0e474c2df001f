"""Vertex distance cost (VDC) of 3DDFA, the 2DASL stage-2 loss."""
from typing import Optional

import torch
from torch import Tensor, nn

from mmface3d.morphable import MorphableModel
from mmface3d.registry import MODELS

# Index of the z-translation in the row-major 3x4 camera.
Z_TRANSLATION = 11


@MODELS.register_module()
class VDCLoss(nn.Module):
    """``loss_weight * mean((V_pred - V_gt) ** 2)`` over mesh vertices.

    ``V`` are the crop-frame vertices (:meth:`MorphableModel.reconstruct`)
    of the de-whitened params; the predicted z-translation is replaced by
    the ground truth's (REFERENCE.md section 5): the orthographic camera
    cannot see it, so it would only shift the depth of every vertex. The
    mean runs over the batch, the 3 coordinates and the vertices.

    Args:
        loss_weight (float): Scale of the loss. Defaults to 1.0.
        num_vertices (int, optional): Vertices drawn (without replacement)
            on each call; None uses the whole mesh. Defaults to None.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 num_vertices: Optional[int] = None) -> None:
        super().__init__()
        if num_vertices is not None and num_vertices <= 0:
            raise ValueError(
                f'num_vertices must be None or > 0, got {num_vertices}')
        self.loss_weight = loss_weight
        self.num_vertices = num_vertices

    def forward(self,
                pred_white: Tensor,
                target_white: Tensor,
                model: MorphableModel,
                vertex_ids: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred_white (Tensor): (B, P) predicted whitened params.
            target_white (Tensor): (B, P) ground-truth whitened params.
            model (MorphableModel): The model the params belong to.
            vertex_ids (Tensor, optional): (N,) ids of the vertices to
                compare, to fix them (tests). Defaults to None: the whole
                mesh, or ``num_vertices`` drawn with ``torch.randperm`` on
                the model's device.

        Returns:
            Tensor: Scalar loss.

        Raises:
            ValueError: The params hold NaN or inf (from
                :meth:`MorphableModel.reconstruct`).
        """
        if pred_white.shape != target_white.shape:
            raise ValueError(
                f'VDCLoss: pred_white {tuple(pred_white.shape)} and '
                f'target_white {tuple(target_white.shape)} differ')
        like = model.u
        pred = model.dewhiten(pred_white.to(like))
        target = model.dewhiten(target_white.to(like))
        z = Z_TRANSLATION
        pred = torch.cat([pred[:, :z], target[:, z:z + 1], pred[:, z + 1:]],
                         1)
        if vertex_ids is None and self.num_vertices is not None:
            vertex_ids = torch.randperm(
                model.num_vertices, device=like.device)[:self.num_vertices]
        error = (model.reconstruct(pred, vertex_ids) -
                 model.reconstruct(target, vertex_ids))**2
        return self.loss_weight * error.mean()

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'num_vertices={self.num_vertices}')
