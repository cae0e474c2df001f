from .annotation import benchmark_roi_box, load_fit_mat
from .morphable_model import MorphableModel
from .pose import (camera_to_pose, compose_camera, decompose_camera,
                   euler_to_rotation, fit_to_params, flip_offsets,
                   pixel_origin, pose_to_camera, rotation_to_euler)

__all__ = [
    'MorphableModel', 'load_fit_mat', 'benchmark_roi_box', 'camera_to_pose',
    'pose_to_camera', 'compose_camera', 'decompose_camera',
    'euler_to_rotation', 'rotation_to_euler', 'fit_to_params',
    'flip_offsets', 'pixel_origin'
]
