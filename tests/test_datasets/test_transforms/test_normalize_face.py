"""NormalizeFace: (x - 127.5) / 128 by default."""
import numpy as np
import pytest

from mmface3d.datasets.transforms import NormalizeFace


def test_default_normalisation():
    img = np.array([[[0, 127, 255]]], np.uint8)
    out = NormalizeFace()(dict(img=img))['img']
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[[-127.5 / 128, -0.5 / 128,
                                       127.5 / 128]]])


def test_per_channel_and_errors():
    img = np.full((2, 2, 3), 10, np.uint8)
    out = NormalizeFace(mean=[0, 5, 10], std=[1, 5, 2])(dict(img=img))['img']
    np.testing.assert_allclose(out[0, 0], [10, 1, 0])
    with pytest.raises(ValueError, match='std'):
        NormalizeFace(std=0)
    with pytest.raises(ValueError, match='mean'):
        NormalizeFace(mean=[1, 2])(dict(img=img))
    assert repr(NormalizeFace()) == 'NormalizeFace(mean=[127.5], std=[128.0])'
