"""The landmark map bootstrapped by the model itself."""
from typing import Optional

import numpy as np

from mmface3d.registry import MODELS
from .base_landmark_source import BaseLandmarkSource


@MODELS.register_module()
class BootstrapLandmarkSource(BaseLandmarkSource):
    """No 2D detector: the model draws its own landmark map.

    The first prediction sees the map of the mean face (the landmarks of
    the de-whitened zero params in the crop), then ``rounds`` times the
    model predicts again with the map drawn from its previous prediction's
    landmarks, as 2DASL's cycle pass does in training.

    Args:
        rounds (int): Re-predictions after the mean-face one. Defaults to 1.
    """

    def __init__(self, rounds: int = 1) -> None:
        if rounds < 0:
            raise ValueError(f'rounds must be >= 0, got {rounds}')
        self.rounds = rounds

    @property
    def name(self) -> str:
        return f'bootstrap(rounds={self.rounds})'

    def landmarks(self, img: np.ndarray, bboxes: np.ndarray,
                  img_path: Optional[str]) -> None:
        return None

    def __repr__(self) -> str:
        return f'{type(self).__name__}(rounds={self.rounds})'
