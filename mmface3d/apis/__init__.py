from .inference import (build_face_detector, build_landmark_source,
                        inference_model, init_model, load_image)
from .onnx_regressor import (OnnxRegressor, RegressorNetwork,
                             export_regressor_onnx)

__all__ = [
    'init_model', 'inference_model', 'load_image', 'build_face_detector',
    'build_landmark_source', 'OnnxRegressor', 'RegressorNetwork',
    'export_regressor_onnx'
]
