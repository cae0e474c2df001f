"""Constants and helpers of the API tests."""
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py')
CONFIG_2DASL = str(REPO / 'configs/2dasl/2dasl_r50_released_120x120.py')


def nme(pred: np.ndarray, points: np.ndarray) -> float:
    """68-point 2D NME of one face (benchmark normaliser); ``points``
    (2+, 68)."""
    size = points[:2].max(1) - points[:2].min(1)
    return float(np.linalg.norm(pred[:, :2] - points[:2].T, axis=1).mean() /
                 np.sqrt(size.prod()))
