# mmcv's own transforms (LoadImageFromFile, ...) register in mmengine's root
# TRANSFORMS only when imported.
import mmcv.transforms  # noqa: F401

from .color_jitter import ColorJitter
from .errors import FaceDataError, FaceImageError
from .face_crop import FaceCrop
from .face_mirror import FaceMirror, get_face_mirror
from .gaussian_blur import GaussianBlur
from .geometry import (affine_z_scale, box_affine, compose_affine,
                       flip_affine, invert_affine, params_box_affine,
                       pixel_affine, transform_params, transform_points)
from .landmark_map import LandmarkMap
from .landmark_points import (FLIP_INDICES_21, FLIP_INDICES_68, FLM_INDICES,
                              FLM_WEIGHTS, select_flm_points)
from .load_face_image import LoadFaceImage
from .normalize_face import NormalizeFace
from .pack_face3d_inputs import PackFace3DInputs
from .random_flip import RandomFlip
from .random_occlusion import RandomOcclusion
from .visibility import VISIBILITY_KEYS, read_visibility, zero_hidden

__all__ = [
    'LoadFaceImage', 'FaceCrop', 'RandomFlip', 'ColorJitter', 'GaussianBlur',
    'RandomOcclusion', 'LandmarkMap', 'NormalizeFace', 'PackFace3DInputs',
    'FaceDataError', 'FaceImageError', 'FaceMirror', 'get_face_mirror',
    'FLIP_INDICES_68', 'FLM_INDICES', 'FLM_WEIGHTS', 'select_flm_points',
    'affine_z_scale', 'box_affine', 'compose_affine', 'flip_affine',
    'invert_affine', 'params_box_affine', 'pixel_affine', 'transform_params',
    'transform_points', 'FLIP_INDICES_21', 'VISIBILITY_KEYS',
    'read_visibility', 'zero_hidden'
]
