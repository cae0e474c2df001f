"""GaussianBlur: blurs a point into the expected Gaussian."""
import numpy as np
import pytest

from mmface3d.datasets.transforms import GaussianBlur


def test_blur_of_a_line_has_the_sampled_sigma():
    img = np.zeros((41, 41, 3), np.uint8)
    img[:, 20] = 255
    transform = GaussianBlur(sigma=(2.0, 2.0), prob=1.0)
    profile = transform(dict(img=img))['img'][20, :, 0].astype(float)
    assert profile.sum() == pytest.approx(255, rel=0.03)
    assert profile.max() == pytest.approx(255 / np.sqrt(2 * np.pi) / 2, abs=2)
    xs = np.arange(41) - 20
    var = (profile * xs**2).sum() / profile.sum()
    assert var == pytest.approx(4.0, rel=0.1)


def test_prob_zero_and_args():
    img = np.random.default_rng(0).integers(0, 255, (8, 8, 3), np.uint8)
    np.testing.assert_array_equal(
        GaussianBlur(prob=0)(dict(img=img.copy()))['img'], img)
    with pytest.raises(ValueError, match='sigma'):
        GaussianBlur(sigma=(0, 1))
    assert repr(GaussianBlur()) == 'GaussianBlur(sigma=(0.1, 2.0), prob=0.5)'
