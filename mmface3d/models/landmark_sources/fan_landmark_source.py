"""FAN (face-alignment) as a landmark-map source."""
from typing import Optional

import numpy as np
import torch
from torch import nn

from mmface3d.registry import MODELS
from .base_landmark_source import BaseLandmarkSource


def decode_heatmaps(heatmaps: torch.Tensor, centers: torch.Tensor,
                    scales: torch.Tensor) -> torch.Tensor:
    """FAN heat maps -> image points (face-alignment's rule).

    Per map: the arg-max cell ``(i, j)`` (row, col), moved a quarter cell
    towards the larger of its two neighbours on each axis (not on the
    border), at ``(j + 0.5, i + 0.5) + step`` in heat-map units; then the
    inverse of the crop map: ``x = (u / R - 0.5) * 200 s + c_x`` (R the
    heat-map side), same for y.

    Args:
        heatmaps (Tensor): (B, K, R, R) heat maps.
        centers (Tensor): (B, 2) crop centres in image pixels.
        scales (Tensor): (B,) crop scales ``s`` (crop side ``200 s``).

    Returns:
        Tensor: (B, K, 2) float32 image points.
    """
    batch, num, rows, cols = heatmaps.shape
    flat = heatmaps.reshape(batch, num, -1).argmax(-1)
    i, j = flat // cols, flat % cols
    inner = (i > 0) & (i < rows - 1) & (j > 0) & (j < cols - 1)
    maps = heatmaps.reshape(batch * num, rows, cols)
    k = torch.arange(batch * num)
    ic, jc = i.reshape(-1).clamp(1, rows - 2), j.reshape(-1).clamp(
        1, cols - 2)
    dx = (maps[k, ic, jc + 1] - maps[k, ic, jc - 1]).sign()
    dy = (maps[k, ic + 1, jc] - maps[k, ic - 1, jc]).sign()
    step = torch.stack([dx, dy], -1).reshape(batch, num, 2) * 0.25
    step = torch.where(inner[..., None], step, torch.zeros_like(step))
    cells = torch.stack([j, i], -1).double() + 0.5 + step.double()
    side = 200.0 * scales.double()[:, None, None]
    points = (cells / torch.tensor([cols, rows], dtype=torch.float64) -
              0.5) * side + centers.double()[:, None]
    return points.float()


@MODELS.register_module()
class FANLandmarkSource(BaseLandmarkSource):
    """68 landmarks from FAN (Bulat & Tzimiropoulos, ICCV 2017), the 2D
    detector the 2DASL paper uses, run in each detector box.

    The face-alignment package's own network (``face_alignment.models.FAN``)
    and crop (``utils.crop``: the box centre moved up by 0.12 box heights,
    scale ``s = (w + h) / 195``, a 256x256 crop of side ``200 s``) are used,
    as its ``FaceAlignment.get_landmarks_from_image`` does with given boxes;
    the faces of one image go through the network as one batch. The heat
    maps are decoded by :func:`decode_heatmaps`, batched in torch, with the
    rule of face-alignment's ``get_preds_fromhm`` but without its integer
    truncation of the image coordinates and without its numba kernels
    (whose compilation takes ~15 s per process).

    face-alignment downloads the 2DFAN-4 weights on first use; offline, pass
    the file with ``weights`` (``2DFAN4-11f355bf06.pth.tar``).

    Args:
        weights (str, optional): Local 2DFAN-4 state dict. None lets
            face-alignment load (or download) its own. Defaults to None.
        device (str): Torch device. Defaults to ``'cpu'``.
        network (nn.Module, optional): A ready network mapping (B, 3, 256,
            256) RGB in [0, 1] to (B, 68, 64, 64) heat maps (or a list whose
            last entry is that), used instead of loading FAN. Defaults to
            None.

    Raises:
        RuntimeError: The weights cannot be had; the message says where to
            put them.
    """

    name = 'fan'

    def __init__(self,
                 weights: Optional[str] = None,
                 device: str = 'cpu',
                 network: Optional[nn.Module] = None) -> None:
        self.weights = weights
        self.device = device
        self.network = network if network is not None else \
            self.load_network(weights, device)
        self.network.eval()

    @staticmethod
    def load_network(weights: Optional[str], device: str) -> nn.Module:
        """face-alignment's FAN (4 stacks) with 2DFAN-4 weights."""
        from face_alignment.api import models_urls
        from face_alignment.models import FAN
        from face_alignment.utils import load_file_from_url
        url = models_urls['2DFAN-4']
        try:
            path = weights or load_file_from_url(url)
            state_dict = torch.load(
                path, map_location='cpu', weights_only=True)
        except (OSError, RuntimeError) as err:
            raise RuntimeError(
                f'FAN weights could not be loaded from {weights or url} '
                f'({err}); download 2DFAN4-11f355bf06.pth.tar where the '
                'network is reachable and pass it as weights=PATH') from err
        network = FAN(4)
        network.load_state_dict(state_dict)
        return network.to(device)

    @torch.no_grad()
    def landmarks(self, img: np.ndarray, bboxes: np.ndarray,
                  img_path: Optional[str]) -> np.ndarray:
        from face_alignment.utils import CENTER_Y_OFFSET, REFERENCE_SCALE, crop
        if not len(bboxes):
            return np.zeros((0, 68, 2), dtype=np.float32)
        rgb = np.ascontiguousarray(img[:, :, ::-1])
        sizes = bboxes[:, 2:4] - bboxes[:, :2]
        centers = (bboxes[:, :2] + bboxes[:, 2:4]) / 2
        centers[:, 1] -= sizes[:, 1] * CENTER_Y_OFFSET
        scales = sizes.sum(1) / REFERENCE_SCALE
        crops = np.stack([
            crop(rgb, center, scale).transpose(2, 0, 1)
            for center, scale in zip(centers, scales)
        ]).astype(np.float32) / 255.0
        heatmaps = self.network(torch.from_numpy(crops).to(self.device))
        if isinstance(heatmaps, (list, tuple)):
            heatmaps = heatmaps[-1]
        return decode_heatmaps(heatmaps.float().cpu(),
                               torch.from_numpy(centers),
                               torch.from_numpy(scales)).numpy()

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(weights={self.weights!r}, '
                f"device='{self.device}')")
