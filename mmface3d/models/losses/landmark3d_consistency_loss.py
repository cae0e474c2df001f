"""3D landmark consistency of 2DASL (``L_3d-con``)."""
from torch import Tensor, nn

from mmface3d.registry import MODELS


@MODELS.register_module()
class Landmark3DConsistencyLoss(nn.Module):
    """``loss_weight * mean_b sum_i ||x3d_i - x3d_hat_i||_2``.

    The 3D landmarks of the forward pass ``x3d`` against those of the cycle
    pass ``x3d_hat`` (REFERENCE.md section 5): a sum of Euclidean distances
    over the points of a sample, then the mean over the samples. The
    released 2DASL code has no such term.

    Args:
        loss_weight (float): Scale of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred_points: Tensor, target_points: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            pred_points (Tensor): (B, 68, 3) landmarks of one pass, crop
                frame.
            target_points (Tensor): (B, 68, 3) landmarks of the other pass.

        Returns:
            Tensor: Scalar loss.
        """
        if pred_points.ndim != 3 or pred_points.shape != target_points.shape:
            raise ValueError(
                f'Landmark3DConsistencyLoss: pred_points '
                f'{tuple(pred_points.shape)} and target_points '
                f'{tuple(target_points.shape)} must both be (B, 68, 3)')
        distance = (pred_points - target_points).norm(dim=-1)
        return self.loss_weight * distance.sum(1).mean()

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
