"""dlib's HOG + linear SVM frontal face detector."""
from typing import Optional, Sequence

import numpy as np

from mmface3d.registry import MODELS
from .base_face_detector import BaseFaceDetector


def import_dlib():
    """The ``dlib`` module, with an error saying what to install."""
    try:
        import dlib
    except ImportError as err:
        raise ImportError(
            'dlib is not installed: `pip install dlib-bin` (prebuilt '
            'wheels; or `pip install dlib`, which compiles it)') from err
    return dlib


@MODELS.register_module()
class DlibHOGDetector(BaseFaceDetector):
    """dlib's ``get_frontal_face_detector`` (HOG features, sliding-window
    linear SVMs for frontal and turned faces). Runs offline: the model is
    built into dlib.

    Its boxes are tighter than FaceBoxes' (about brows to chin); the crop
    rule of a detector box (:func:`~mmface3d.morphable.detector_roi_box`)
    was tuned on FaceBoxes, so expect slightly tighter crops. It misses most
    faces turned beyond ~60 degrees.

    Args:
        upsample (int): Times the image is upsampled (doubled) before
            detection, to find faces under ~80 px. Defaults to 1.
        score_thr (float): SVM margin threshold (0 is the detector's own
            boundary; negative finds more faces, with more false ones).
            Defaults to 0.
        max_faces, largest_only, min_size, max_size, upscale: See
            :class:`BaseFaceDetector`; ``max_size`` defaults to
            ``(720, 1080)``.
    """

    def __init__(self,
                 upsample: int = 1,
                 score_thr: float = 0.0,
                 max_faces: Optional[int] = None,
                 largest_only: bool = False,
                 min_size: float = 0.0,
                 max_size: Optional[Sequence[int]] = (720, 1080),
                 upscale: bool = False) -> None:
        super().__init__(score_thr, max_faces, largest_only, min_size,
                         max_size, upscale)
        if upsample < 0:
            raise ValueError(f'upsample must be >= 0, got {upsample}')
        self.upsample = upsample
        self.detector = import_dlib().get_frontal_face_detector()

    def _detect(self, img: np.ndarray) -> np.ndarray:
        rgb = np.ascontiguousarray(img[:, :, ::-1])
        rects, scores, _ = self.detector.run(rgb, self.upsample,
                                             self.score_thr)
        # dlib rectangles are inclusive pixel ranges: right/bottom + 1
        return np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1, s]
                         for r, s in zip(rects, scores)],
                        dtype=np.float64).reshape(-1, 5)

    def extra_repr(self) -> str:
        return f'upsample={self.upsample}, {super().extra_repr()}'
