"""The morphable model and all face geometry: params <-> mesh, pose, crop /
image maps, mirroring, ground-truth conversion, crop boxes, landmark layouts
and the mesh renderer. It imports nothing from mmface3d's datasets, models,
evaluation or visualization."""
from .affine import (affine_z_scale, box_affine, compose_affine, flip_affine,
                     invert_affine, is_reflection, pixel_affine,
                     transform_params, transform_points)
from .bfm_files import (ArrayUnpickler, load_array_pickle, load_param_stats,
                        load_tddfa_arrays, load_tddfa_v2_arrays)
from .conventions import (CONVENTIONS, NUM_POSE, check_convention,
                          convert_convention, flip_offsets, pixel_origin)
from .crop_box import (bbox_of_visible, benchmark_roi_box, detector_roi_box,
                       roi_boxes_from_landmarks)
from .fit_conversion import fit_to_params, load_fit_mat
from .landmark_layouts import (AFLW21_FROM_68, AFLW21_FROM_FLM, AFLW21_NAMES,
                               AFLW21_TO_68, FLIP_INDICES, FLIP_INDICES_21,
                               FLIP_INDICES_68, FLM_INDICES, FLM_WEIGHTS,
                               aflw21_to_68, select_flm_points)
from .landmark_map import draw_flm_maps, draw_landmark_maps, flm_visibility
from .mirror import (FaceMirror, get_face_mirror, load_symlist,
                     unmirror_image_params)
from .morphable_model import MorphableModel, get_morphable_model
from .pose import (camera_to_pose, compose_camera, decompose_camera,
                   euler_to_rotation, pose_to_camera, rotation_to_euler)
from .renderer import rasterize, render, shade_vertices, vertex_normals

__all__ = [
    'MorphableModel', 'get_morphable_model', 'affine_z_scale', 'box_affine',
    'compose_affine', 'flip_affine', 'invert_affine', 'is_reflection',
    'pixel_affine', 'transform_params', 'transform_points', 'ArrayUnpickler',
    'load_array_pickle', 'load_param_stats', 'load_tddfa_arrays',
    'load_tddfa_v2_arrays', 'CONVENTIONS', 'NUM_POSE', 'check_convention',
    'convert_convention', 'flip_offsets', 'pixel_origin', 'bbox_of_visible',
    'benchmark_roi_box', 'detector_roi_box', 'roi_boxes_from_landmarks',
    'fit_to_params', 'load_fit_mat', 'AFLW21_FROM_68', 'AFLW21_FROM_FLM',
    'AFLW21_NAMES', 'AFLW21_TO_68',
    'FLIP_INDICES', 'FLIP_INDICES_21', 'FLIP_INDICES_68', 'FLM_INDICES',
    'FLM_WEIGHTS', 'aflw21_to_68', 'select_flm_points',
    'draw_flm_maps', 'draw_landmark_maps', 'flm_visibility', 'FaceMirror',
    'get_face_mirror', 'load_symlist', 'unmirror_image_params',
    'camera_to_pose', 'compose_camera',
    'decompose_camera', 'euler_to_rotation', 'pose_to_camera',
    'rotation_to_euler', 'rasterize', 'render', 'shade_vertices',
    'vertex_normals'
]
