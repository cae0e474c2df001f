"""S3FD, the face detector of the face-alignment package."""
from typing import Optional, Sequence

import numpy as np

from mmface3d.registry import MODELS
from .base_face_detector import BaseFaceDetector

S3FD_URL = ('https://www.adrianbulat.com/downloads/python-fan/'
            's3fd-619a316812.pth')


@MODELS.register_module()
class S3FDDetector(BaseFaceDetector):
    """S3FD (Zhang et al., ICCV 2017) as face-alignment runs it
    (``face_alignment.detection.sfd.SFDDetector``: the network, its anchor
    decoding and NMS are the package's).

    face-alignment downloads the weights on first use into torch's hub
    cache; where that is impossible (offline machines), pass the file with
    ``weights`` (``s3fd-619a316812.pth``).

    Args:
        weights (str, optional): Local S3FD state dict. None lets
            face-alignment load (or download) its own. Defaults to None.
        score_thr (float): Face probability threshold. Defaults to 0.5
            (face-alignment's).
        max_faces, largest_only, min_size, max_size, upscale: See
            :class:`BaseFaceDetector`; ``max_size`` defaults to
            ``(720, 1080)``.
        device (str): Torch device. Defaults to ``'cpu'``.

    Raises:
        RuntimeError: The weights cannot be had (no file, no network); the
            message says where to put them.
    """

    def __init__(self,
                 weights: Optional[str] = None,
                 score_thr: float = 0.5,
                 max_faces: Optional[int] = None,
                 largest_only: bool = False,
                 min_size: float = 0.0,
                 max_size: Optional[Sequence[int]] = (720, 1080),
                 upscale: bool = False,
                 device: str = 'cpu') -> None:
        super().__init__(score_thr, max_faces, largest_only, min_size,
                         max_size, upscale)
        from face_alignment.detection.sfd.sfd_detector import SFDDetector
        self.weights = weights
        try:
            # face-alignment filters by its own threshold: let everything
            # through and threshold in the base class
            self.sfd = SFDDetector(
                device, path_to_detector=weights, filter_threshold=0.0)
        except (OSError, RuntimeError) as err:
            # urllib's URLError is an OSError
            where = weights or f'the download of {S3FD_URL}'
            raise RuntimeError(
                f'S3FD weights could not be loaded from {where} ({err}); '
                'download s3fd-619a316812.pth where the network is reachable '
                'and pass it as weights=PATH') from err

    def _detect(self, img: np.ndarray) -> np.ndarray:
        # face-alignment's detector takes RGB and flips it back to BGR
        boxes = self.sfd.detect_from_image(
            np.ascontiguousarray(img[:, :, ::-1]))
        return np.asarray([np.asarray(b, dtype=np.float64)[:5]
                           for b in boxes]).reshape(-1, 5)

    def extra_repr(self) -> str:
        return f'weights={self.weights}, {super().extra_repr()}'
