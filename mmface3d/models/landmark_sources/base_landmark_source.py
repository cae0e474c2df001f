"""The interface of the 2D landmark sources of the facial landmark map."""
from abc import ABCMeta, abstractmethod
from typing import Optional

import numpy as np


class BaseLandmarkSource(metaclass=ABCMeta):
    """68 2D landmarks per detected face, for the landmark-map input
    channel of 2DASL-style (4-channel) models.

    ``source(img, bboxes, img_path)`` returns (N, 68, 2) float32 image-pixel
    landmarks, one row per box (a row of NaN where the source has none for
    that face), or None when the source takes its points from the model
    itself (:class:`BootstrapLandmarkSource`). ``rounds`` is the number of
    times the model re-predicts with a map drawn from its own previous
    prediction (0 for sources that give points; see
    :func:`mmface3d.apis.inference_model`). ``name`` is what the output
    records as the landmark-map source.
    """

    name = 'base'
    rounds = 0

    @abstractmethod
    def landmarks(self, img: np.ndarray, bboxes: np.ndarray,
                  img_path: Optional[str]) -> Optional[np.ndarray]:
        """See the class docstring; ``img`` (H, W, 3) uint8 BGR, ``bboxes``
        (N, 4+) detector boxes ``[x0, y0, x1, y1, ...]``."""

    def __call__(self,
                 img: np.ndarray,
                 bboxes: np.ndarray,
                 img_path: Optional[str] = None) -> Optional[np.ndarray]:
        bboxes = np.asarray(bboxes, dtype=np.float64)
        if bboxes.ndim != 2 or bboxes.shape[1] < 4:
            raise ValueError(f'{type(self).__name__}: bboxes must be (N, 4+) '
                             f'[x0, y0, x1, y1, ...], got {bboxes.shape}')
        bboxes = bboxes[:, :4]
        points = self.landmarks(img, bboxes, img_path)
        if points is None:
            return None
        points = np.asarray(points, dtype=np.float32)
        if points.shape != (len(bboxes), 68, 2):
            raise ValueError(
                f'{type(self).__name__} returned landmarks of shape '
                f'{points.shape} for {len(bboxes)} faces, expected '
                f'({len(bboxes)}, 68, 2)')
        return points

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r})'
