"""The interface every face detector of mmface3d follows."""
from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence

import cv2
import numpy as np
from torch import nn


class BaseFaceDetector(nn.Module, metaclass=ABCMeta):
    """Face boxes of a BGR image, one interface for every detector.

    :meth:`detect` takes a (H, W, 3) uint8 BGR image and returns an
    (N, 5) float32 array of ``[x0, y0, x1, y1, score]`` rows in image pixels
    (continuous coordinates: a box around pixels 0..9 is ``[0, 0, 10,
    10]``), sorted by decreasing score. Subclasses implement
    :meth:`_detect` on a possibly downscaled image; the base class scales
    the boxes back and applies the score threshold, the minimum face size,
    the largest-face option and the face count limit, so every detector
    answers these settings alike.

    Args:
        score_thr (float): Keep boxes scoring at least this (the scale of
            the score is the detector's: a probability for FaceBoxes and
            S3FD, an SVM margin for dlib's HOG detector).
        max_faces (int, optional): Keep at most this many faces (the best
            scoring ones). Defaults to None (all).
        largest_only (bool): Keep only the largest face (by box area).
            Defaults to False.
        min_size (float): Drop boxes whose mean side is below this many
            pixels. Defaults to 0.
        max_size (Sequence[int], optional): ``(max_height, max_width)``: a
            larger image is downscaled (one factor for both axes, aspect
            kept) to fit before detection, which bounds time and memory on
            large photos. None detects at full resolution. Defaults to
            None.
        upscale (bool): Also enlarge smaller images to fit ``max_size``
            (detectors trained on larger faces find more of the faces of
            small images so). Defaults to False.
    """

    def __init__(self,
                 score_thr: float,
                 max_faces: Optional[int] = None,
                 largest_only: bool = False,
                 min_size: float = 0.0,
                 max_size: Optional[Sequence[int]] = None,
                 upscale: bool = False) -> None:
        super().__init__()
        if max_faces is not None and max_faces < 1:
            raise ValueError(f'max_faces must be >= 1 or None, got '
                             f'{max_faces}')
        if max_size is not None and (len(max_size) != 2
                                     or min(max_size) < 1):
            raise ValueError('max_size must be (max_height, max_width) or '
                             f'None, got {max_size}')
        self.score_thr = score_thr
        self.max_faces = max_faces
        self.largest_only = largest_only
        self.min_size = min_size
        self.max_size = None if max_size is None else tuple(max_size)
        self.upscale = upscale

    @abstractmethod
    def _detect(self, img: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 BGR image -> (N, 5) ``[x0, y0, x1, y1, score]``
        in the pixels of ``img``, any order, before thresholding."""

    def resize_factor(self, height: int, width: int) -> float:
        """The resize factor of a ``height`` x ``width`` image: the largest
        that fits ``max_size``, capped at 1 unless ``upscale`` (1 without
        ``max_size``)."""
        if self.max_size is None:
            return 1.0
        scale = min(self.max_size[0] / height, self.max_size[1] / width)
        return scale if self.upscale else min(1.0, scale)

    def detect(self, img: np.ndarray) -> np.ndarray:
        """Detect faces.

        Args:
            img (np.ndarray): (H, W, 3) uint8 BGR image.

        Returns:
            np.ndarray: (N, 5) float32 ``[x0, y0, x1, y1, score]``, sorted
            by decreasing score (N = 0 when no face passes).
        """
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or \
                img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f'{type(self).__name__}.detect needs a (H, W, 3) uint8 BGR '
                f'image, got {getattr(img, "dtype", type(img).__name__)} '
                f'{getattr(img, "shape", "")}')
        scale = self.resize_factor(*img.shape[:2])
        small = img if scale == 1.0 else cv2.resize(
            img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        boxes = np.asarray(self._detect(small), dtype=np.float64)
        boxes = boxes.reshape(-1, 5)
        boxes[:, :4] /= scale
        return self.select(boxes).astype(np.float32)

    def select(self, boxes: np.ndarray) -> np.ndarray:
        """Apply the score threshold, ``min_size``, ``largest_only`` and
        ``max_faces`` to (N, 5) boxes; sorted by decreasing score."""
        sides = (boxes[:, 2:4] - boxes[:, :2]).mean(1)
        boxes = boxes[(boxes[:, 4] >= self.score_thr)
                      & (sides >= self.min_size) & (sides > 0)]
        boxes = boxes[np.argsort(-boxes[:, 4], kind='stable')]
        if self.largest_only and len(boxes):
            areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
            boxes = boxes[[int(np.argmax(areas))]]
        if self.max_faces is not None:
            boxes = boxes[:self.max_faces]
        return boxes

    def forward(self, img: np.ndarray) -> np.ndarray:
        """Same as :meth:`detect`."""
        return self.detect(img)

    def extra_repr(self) -> str:
        return (f'score_thr={self.score_thr}, max_faces={self.max_faces}, '
                f'largest_only={self.largest_only}, '
                f'min_size={self.min_size}, max_size={self.max_size}, '
                f'upscale={self.upscale}')
