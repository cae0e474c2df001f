"""The parts of :class:`~mmface3d.datasets.SyntheticFaceDataset`: sampling,
the mouth cavity, backgrounds and occluders, the sample cache."""
from .mouth import MOUTH_COLOR, MOUTH_DEPTH, close_mouth, mouth_boundary
from .sample_cache import SampleCache
from .sampling import (COEF_CLIP, FACE_FILL, SPLIT_CODES, SPLITS, draw_face,
                       draw_lighting)
from .scenery import draw_occluders, random_background, random_shape

__all__ = [
    'MOUTH_COLOR', 'MOUTH_DEPTH', 'close_mouth', 'mouth_boundary',
    'SampleCache', 'COEF_CLIP', 'FACE_FILL', 'SPLIT_CODES', 'SPLITS',
    'draw_face', 'draw_lighting', 'draw_occluders', 'random_background',
    'random_shape'
]
