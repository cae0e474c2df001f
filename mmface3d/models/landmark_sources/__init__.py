from .base_landmark_source import BaseLandmarkSource
from .bootstrap_landmark_source import BootstrapLandmarkSource
from .dlib_landmark_source import DlibLandmarkSource
from .fan_landmark_source import FANLandmarkSource
from .file_landmark_source import FileLandmarkSource

__all__ = [
    'BaseLandmarkSource', 'BootstrapLandmarkSource', 'DlibLandmarkSource',
    'FANLandmarkSource', 'FileLandmarkSource'
]
