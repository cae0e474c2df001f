"""FaceBoxes (Zhang et al., IJCB 2017), the face detector 3DDFA_V2 ships."""
import math
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmface3d.registry import MODELS
from mmface3d.utils.data_root import resolve_data_path
from .base_face_detector import BaseFaceDetector
from .box_ops import nms

# The anchors of the three detection layers: (stride, anchor sides). Anchors
# of side 32 are tiled 4x4 per cell and of side 64 2x2 ("anchor
# densification"), the others once, at the cell centre.
ANCHORS = ((32, (32, 64, 128)), (64, (256, )), (128, (512, )))
DENSITY = {32: 4, 64: 2}
VARIANCES = (0.1, 0.2)
# BGR means subtracted from the image (the released weights were trained so)
PIXEL_MEAN = (104.0, 117.0, 123.0)


class ConvBN(nn.Module):
    """conv (no bias) + batch norm, then ReLU or, with ``crelu``, the
    concatenated ReLU ``[relu(x), relu(-x)]`` (twice the channels)."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int, stride: int = 1, padding: int = 0,
                 crelu: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-5)
        self.crelu = crelu

    def forward(self, x: Tensor) -> Tensor:
        x = self.bn(self.conv(x))
        if self.crelu:
            x = torch.cat([x, -x], 1)
        return F.relu(x)


class FaceBoxesInception(nn.Module):
    """The 128 -> 128 channel inception block of FaceBoxes: a 1x1 branch, a
    3x3 average pool + 1x1 branch, a 1x1 + 3x3 branch and a 1x1 + two 3x3
    branch, 32 channels each."""

    def __init__(self) -> None:
        super().__init__()
        self.branch1x1 = ConvBN(128, 32, 1)
        self.branch1x1_2 = ConvBN(128, 32, 1)
        self.branch3x3_reduce = ConvBN(128, 24, 1)
        self.branch3x3 = ConvBN(24, 32, 3, padding=1)
        self.branch3x3_reduce_2 = ConvBN(128, 24, 1)
        self.branch3x3_2 = ConvBN(24, 32, 3, padding=1)
        self.branch3x3_3 = ConvBN(32, 32, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        pooled = F.avg_pool2d(x, 3, stride=1, padding=1)
        double = self.branch3x3_3(
            self.branch3x3_2(self.branch3x3_reduce_2(x)))
        return torch.cat([
            self.branch1x1(x),
            self.branch1x1_2(pooled),
            self.branch3x3(self.branch3x3_reduce(x)), double
        ], 1)


class FaceBoxesNet(nn.Module):
    """The FaceBoxes network; the module names are those of the released
    state dict (``faceboxes_prod.pth``).

    "Rapidly digested" layers (conv1 7x7/4 CReLU, pool, conv2 5x5/2 CReLU,
    pool: stride 32), three inception blocks (first detection layer), then
    conv3 and conv4 (1x1 + 3x3/2 each: strides 64 and 128, the other two
    detection layers). Each detection layer has a 3x3 box regression and a
    3x3 face / background classification conv.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = ConvBN(3, 24, 7, stride=4, padding=3, crelu=True)
        self.conv2 = ConvBN(48, 64, 5, stride=2, padding=2, crelu=True)
        self.inception1 = FaceBoxesInception()
        self.inception2 = FaceBoxesInception()
        self.inception3 = FaceBoxesInception()
        self.conv3_1 = ConvBN(128, 128, 1)
        self.conv3_2 = ConvBN(128, 256, 3, stride=2, padding=1)
        self.conv4_1 = ConvBN(256, 128, 1)
        self.conv4_2 = ConvBN(128, 256, 3, stride=2, padding=1)
        channels = (128, 256, 256)
        counts = [num_anchors(sizes) for _, sizes in ANCHORS]
        self.loc = nn.ModuleList(
            nn.Conv2d(c, 4 * n, 3, padding=1)
            for c, n in zip(channels, counts))
        self.conf = nn.ModuleList(
            nn.Conv2d(c, 2 * n, 3, padding=1)
            for c, n in zip(channels, counts))

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """(B, 3, H, W) mean-subtracted BGR -> box offsets (B, A, 4) and face
        probabilities (B, A), A anchors in :func:`prior_boxes` order."""
        x = F.max_pool2d(self.conv1(x), 3, stride=2, padding=1)
        x = F.max_pool2d(self.conv2(x), 3, stride=2, padding=1)
        x = self.inception3(self.inception2(self.inception1(x)))
        sources = [x]
        x = self.conv3_2(self.conv3_1(x))
        sources.append(x)
        x = self.conv4_2(self.conv4_1(x))
        sources.append(x)
        batch = x.shape[0]
        loc = torch.cat([
            head(s).permute(0, 2, 3, 1).reshape(batch, -1, 4)
            for head, s in zip(self.loc, sources)
        ], 1)
        conf = torch.cat([
            head(s).permute(0, 2, 3, 1).reshape(batch, -1, 2)
            for head, s in zip(self.conf, sources)
        ], 1)
        return loc, conf.softmax(-1)[..., 1]


def num_anchors(sizes: Sequence[int]) -> int:
    """Anchors per cell of a detection layer with these anchor sides."""
    return sum(DENSITY.get(s, 1)**2 for s in sizes)


def prior_boxes(height: int, width: int) -> Tensor:
    """The anchors of an image size, in the order of the network's outputs.

    Layer k (stride s) has ``ceil(H / s)`` x ``ceil(W / s)`` cells; per
    cell (row-major) and per anchor side, a side of density d is tiled at
    offsets ``(0, 1/d, ..., (d-1)/d)`` of the cell (rows outer), a side
    without densification sits at the cell centre. Coordinates are
    fractions of the image.

    Returns:
        Tensor: (A, 4) float32 ``[cx, cy, w, h]``.
    """
    layers = []
    for stride, sizes in ANCHORS:
        rows, cols = math.ceil(height / stride), math.ceil(width / stride)
        offsets = []  # (dx, dy, side) per anchor of a cell
        for side in sizes:
            density = DENSITY.get(side)
            if density is None:
                offsets.append((0.5, 0.5, side))
                continue
            steps = [k / density for k in range(density)]
            offsets += [(dx, dy, side) for dy in steps for dx in steps]
        offsets = torch.tensor(offsets, dtype=torch.float32)
        i, j = torch.meshgrid(
            torch.arange(rows, dtype=torch.float32),
            torch.arange(cols, dtype=torch.float32),
            indexing='ij')
        cx = (j[..., None] + offsets[:, 0]) * stride / width
        cy = (i[..., None] + offsets[:, 1]) * stride / height
        w = (offsets[:, 2] / width).expand_as(cx)
        h = (offsets[:, 2] / height).expand_as(cx)
        layers.append(torch.stack([cx, cy, w, h], -1).reshape(-1, 4))
    return torch.cat(layers)


def decode_boxes(loc: Tensor, priors: Tensor,
                 variances: Sequence[float] = VARIANCES) -> Tensor:
    """SSD box decoding: (A, 4) offsets against (A, 4) ``[cx, cy, w, h]``
    anchors -> (A, 4) ``[x0, y0, x1, y1]`` in the anchors' units.

    ``centre = c_a + loc_xy * v0 * wh_a``, ``size = wh_a * exp(loc_wh *
    v1)``."""
    center = priors[:, :2] + loc[:, :2] * variances[0] * priors[:, 2:]
    size = priors[:, 2:] * torch.exp(loc[:, 2:] * variances[1])
    return torch.cat([center - size / 2, center + size / 2], 1)


@MODELS.register_module()
class FaceBoxes(BaseFaceDetector):
    """The FaceBoxes face detector with the weights 3DDFA_V2 released.

    The image (BGR, means ``(104, 117, 123)`` subtracted, downscaled to fit
    ``max_size`` as 3DDFA_V2 does) goes through :class:`FaceBoxesNet`;
    boxes with a face probability above ``pre_score_thr`` (the
    ``pre_nms_top_k`` best) are decoded against :func:`prior_boxes` and
    suppressed (:func:`~.box_ops.nms`, IoU ``nms_thr``); the base class then
    keeps those scoring ``score_thr`` or more.

    Args:
        weights (str): The released state dict, resolved against the data
            root. Defaults to ``'weights/faceboxes_prod.pth'``.
        score_thr (float): Final face probability threshold. Defaults to
            0.5 (3DDFA_V2's).
        nms_thr (float): NMS IoU threshold. Defaults to 0.3.
        pre_score_thr (float): Candidates below this probability are not
            decoded. Defaults to 0.05.
        pre_nms_top_k (int): At most this many candidates enter NMS.
            Defaults to 5000.
        max_faces, largest_only, min_size, upscale: See
            :class:`BaseFaceDetector`.
        max_size (Sequence[int], optional): ``(720, 1080)`` by default, as
            3DDFA_V2 (smaller images are enlarged only with ``upscale``).
        device (str): Torch device of the network. Defaults to ``'cpu'``.
        data_root (str, optional): Data root of ``weights``. Defaults to
            None.
    """

    def __init__(self,
                 weights: Optional[str] = 'weights/faceboxes_prod.pth',
                 score_thr: float = 0.5,
                 nms_thr: float = 0.3,
                 pre_score_thr: float = 0.05,
                 pre_nms_top_k: int = 5000,
                 max_faces: Optional[int] = None,
                 largest_only: bool = False,
                 min_size: float = 0.0,
                 max_size: Optional[Sequence[int]] = (720, 1080),
                 upscale: bool = False,
                 device: str = 'cpu',
                 data_root: Optional[str] = None) -> None:
        super().__init__(score_thr, max_faces, largest_only, min_size,
                         max_size, upscale)
        self.nms_thr = nms_thr
        self.pre_score_thr = pre_score_thr
        self.pre_nms_top_k = pre_nms_top_k
        self.net = FaceBoxesNet()
        if weights is not None:
            # imported here: mmface3d.utils.checkpoint imports mmengine's
            # runner, which the registry import of this module must not need
            from mmface3d.utils.checkpoint import load_model_weights
            load_model_weights(self.net,
                               str(resolve_data_path(weights, data_root)))
        self.weights = weights
        self.net.eval()
        self.to(device)
        self._priors: dict = {}

    def priors(self, height: int, width: int) -> Tensor:
        """:func:`prior_boxes` of an input size, cached."""
        key = (height, width)
        if key not in self._priors:
            self._priors = {key: prior_boxes(height, width)}
        return self._priors[key]

    @torch.no_grad()
    def _detect(self, img: np.ndarray) -> np.ndarray:
        height, width = img.shape[:2]
        device = next(self.net.parameters()).device
        inputs = torch.from_numpy(img).to(device).float() - torch.tensor(
            PIXEL_MEAN, device=device)
        loc, scores = self.net(inputs.permute(2, 0, 1)[None])
        loc, scores = loc[0].float(), scores[0].float()
        keep = (scores > self.pre_score_thr).nonzero()[:, 0]
        keep = keep[scores[keep].argsort(descending=True)]
        keep = keep[:self.pre_nms_top_k]
        boxes = decode_boxes(loc[keep],
                             self.priors(height, width).to(device)[keep])
        boxes = boxes * torch.tensor([width, height, width, height],
                                     dtype=boxes.dtype, device=device)
        scores = scores[keep]
        kept = nms(boxes, scores, self.nms_thr)
        return torch.cat([boxes[kept], scores[kept, None]],
                         1).cpu().numpy()

    def extra_repr(self) -> str:
        return (f'weights={self.weights}, nms_thr={self.nms_thr}, '
                f'{super().extra_repr()}')
