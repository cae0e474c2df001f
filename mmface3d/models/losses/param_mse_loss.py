"""Plain mean squared error on whitened 3DMM parameters."""
from typing import Optional

from torch import Tensor, nn

from mmface3d.registry import MODELS


@MODELS.register_module()
class ParamMSELoss(nn.Module):
    """``loss_weight * mean(weight * (pred - target) ** 2)``.

    The unweighted parameter distance that 3DDFA compares WPDC against.

    Args:
        loss_weight (float): Scale of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): (B, P) predicted whitened params.
            target (Tensor): (B, P) ground-truth whitened params.
            weight (Tensor, optional): (B, P) or (B, 1) non-negative
                per-element weights. Defaults to None (all ones).

        Returns:
            Tensor: Scalar loss.
        """
        if pred.shape != target.shape:
            raise ValueError(f'ParamMSELoss: pred {tuple(pred.shape)} and '
                             f'target {tuple(target.shape)} differ')
        error = (pred - target)**2
        if weight is not None:
            error = error * weight
        return self.loss_weight * error.mean()
