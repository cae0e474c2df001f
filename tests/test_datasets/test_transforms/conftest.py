"""Fixtures of the transform tests (the BFM and AFLW2000-3D fixtures are in
tests/conftest.py)."""
import numpy as np
import pytest


def _nme_percent(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(B,) mean 2D point error of (B, 68, 2+) points over sqrt(w h) of the
    GT bbox, in percent."""
    size = np.sqrt((gt[:, :, :2].max(1) - gt[:, :, :2].min(1)).prod(1))
    err = np.linalg.norm(pred[:, :, :2] - gt[:, :, :2], axis=2).mean(1)
    return 100 * err / size


@pytest.fixture(scope='session')
def nme_percent():
    """The bbox-normalised 68-point NME, in percent, as a function."""
    return _nme_percent
