"""Box helpers of the face detectors: IoU and greedy non-maximum
suppression, in torch (mmface3d does not depend on torchvision)."""
import torch
from torch import Tensor


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection over union of ``[x0, y0, x1, y1]`` boxes.

    Coordinates are continuous (a box ``[0, 0, 10, 10]`` has area 100).

    Args:
        boxes1 (Tensor): (N, 4+) boxes (extra columns are ignored).
        boxes2 (Tensor): (M, 4+) boxes.

    Returns:
        Tensor: (N, M) IoU in [0, 1] (0 where both boxes are empty).
    """
    a, b = boxes1[:, None, :4], boxes2[None, :, :4]
    size = (torch.minimum(a[..., 2:], b[..., 2:]) -
            torch.maximum(a[..., :2], b[..., :2])).clamp(min=0)
    inter = size.prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    union = area_a + area_b - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12),
                       torch.zeros_like(inter))


def nms(boxes: Tensor, scores: Tensor, iou_thr: float) -> Tensor:
    """Greedy non-maximum suppression.

    The highest-scoring box is kept and every remaining box overlapping it
    by more than ``iou_thr`` is dropped, until no box is left.

    Args:
        boxes (Tensor): (N, 4) ``[x0, y0, x1, y1]``.
        scores (Tensor): (N,) scores.
        iou_thr (float): Boxes with a larger IoU with a kept box go.

    Returns:
        Tensor: (K,) int64 indices of the kept boxes, by decreasing score.
    """
    order = scores.argsort(descending=True)
    keep = []
    while order.numel():
        best = order[0]
        keep.append(best)
        rest = order[1:]
        if not rest.numel():
            break
        iou = box_iou(boxes[best][None], boxes[rest])[0]
        order = rest[iou <= iou_thr]
    return torch.stack(keep) if keep else order.new_zeros(0)
