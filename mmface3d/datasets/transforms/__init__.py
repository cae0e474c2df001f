# mmcv's own transforms (LoadImageFromFile, ...) register in mmengine's root
# TRANSFORMS only when imported.
import mmcv.transforms  # noqa: F401

from .color_jitter import ColorJitter
from .face_crop import FaceCrop
from .face_data_error import FaceDataError, FaceImageError
from .gaussian_blur import GaussianBlur
from .landmark_map import LandmarkMap
from .load_face_image import LoadFaceImage
from .normalize_face import NormalizeFace
from .pack_face3d_inputs import PackFace3DInputs
from .random_flip import RandomFlip
from .random_occlusion import RandomOcclusion
from .visibility import VISIBILITY_KEYS, read_visibility, zero_hidden

__all__ = [
    'LoadFaceImage', 'FaceCrop', 'RandomFlip', 'ColorJitter', 'GaussianBlur',
    'RandomOcclusion', 'LandmarkMap', 'NormalizeFace', 'PackFace3DInputs',
    'FaceDataError', 'FaceImageError', 'VISIBILITY_KEYS', 'read_visibility',
    'zero_hidden'
]
