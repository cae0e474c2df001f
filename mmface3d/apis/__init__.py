from .face_outputs import (draw_dense, draw_landmarks, draw_pose_axes,
                           face_record, image_record, render_faces, save_mesh,
                           write_json)
from .inference import (build_face_detector, build_landmark_source,
                        decode_predictions, inference_model, init_model,
                        load_image)
from .onnx_regressor import (OnnxRegressor, RegressorNetwork,
                             export_regressor_onnx)
from .param_smoother import ParamSmoother

__all__ = [
    'init_model', 'inference_model', 'load_image', 'build_face_detector',
    'build_landmark_source', 'decode_predictions', 'OnnxRegressor',
    'RegressorNetwork', 'export_regressor_onnx', 'ParamSmoother',
    'draw_landmarks', 'draw_pose_axes', 'draw_dense', 'render_faces',
    'save_mesh', 'face_record', 'image_record', 'write_json'
]
