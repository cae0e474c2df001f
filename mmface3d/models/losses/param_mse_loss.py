"""Plain mean squared error on whitened 3DMM parameters."""
from typing import Optional

from torch import Tensor, nn

from mmface3d.morphable import MorphableModel
from mmface3d.registry import MODELS


@MODELS.register_module()
class ParamMSELoss(nn.Module):
    """``loss_weight * mean((pred - target) ** 2)``.

    The unweighted parameter distance that 3DDFA compares WPDC against. It is
    called like :class:`WPDCLoss` and :class:`VDCLoss`, so any of the three
    can be a head's ``loss`` or TwoDASL's ``loss_3d``; the morphable model is
    not needed here.

    Args:
        loss_weight (float): Scale of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                pred_white: Tensor,
                target_white: Tensor,
                model: Optional[MorphableModel] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred_white (Tensor): (B, P) predicted whitened params.
            target_white (Tensor): (B, P) ground-truth whitened params.
            model (MorphableModel, optional): Unused (the common signature of
                the parameter losses).

        Returns:
            Tensor: Scalar loss.
        """
        if pred_white.shape != target_white.shape:
            raise ValueError(
                f'ParamMSELoss: pred {tuple(pred_white.shape)} and '
                f'target {tuple(target_white.shape)} differ')
        return self.loss_weight * ((pred_white - target_white)**2).mean()
