from .base_face_detector import BaseFaceDetector
from .box_ops import box_iou, nms
from .dlib_hog_detector import DlibHOGDetector
from .face_boxes import FaceBoxes
from .s3fd_detector import S3FDDetector

__all__ = [
    'BaseFaceDetector', 'FaceBoxes', 'DlibHOGDetector', 'S3FDDetector',
    'box_iou', 'nms'
]
