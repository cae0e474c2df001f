"""ColorJitter: each factor against its formula, and prob."""
import numpy as np
import pytest

from mmface3d.datasets.transforms import ColorJitter


def make_img():
    img = np.zeros((4, 6, 3), np.uint8)
    img[:2] = [40, 80, 120]
    img[2:] = [200, 100, 10]
    return img


def test_brightness_only(monkeypatch):
    transform = ColorJitter(brightness=0.5, contrast=0, saturation=0, prob=1)
    # the top of each range: factors (1.5, 1, 1)
    monkeypatch.setattr(np.random, 'uniform', lambda lo, hi: hi)
    out = transform(dict(img=make_img()))['img']
    np.testing.assert_array_equal(out[0, 0], [60, 120, 180])
    np.testing.assert_array_equal(out[3, 0], [255, 150, 15])  # clipped


def test_saturation_zero_gives_gray():
    transform = ColorJitter(brightness=0, contrast=0, saturation=1, prob=1)
    transform._sample = lambda: (True, (1.0, 1.0, 0.0))
    out = transform(dict(img=make_img()))['img'].astype(float)
    gray = 0.114 * 40 + 0.587 * 80 + 0.299 * 120
    np.testing.assert_allclose(out[0, 0], [gray] * 3, atol=0.51)


def test_contrast_keeps_the_mean_gray():
    transform = ColorJitter(prob=1)
    transform._sample = lambda: (True, (1.0, 0.5, 1.0))
    img = make_img()
    out = transform(dict(img=img))['img'].astype(float)
    gray = img.astype(float) @ [0.114, 0.587, 0.299]
    mean = gray.mean()
    np.testing.assert_allclose(out, (img - mean) * 0.5 + mean, atol=0.51)


def test_prob_and_checks():
    img = make_img()
    out = ColorJitter(brightness=1, prob=0)(dict(img=img.copy()))
    np.testing.assert_array_equal(out['img'], img)
    with pytest.raises(ValueError, match='uint8'):
        ColorJitter(prob=1)(dict(img=img.astype(np.float32), img_path='x'))
    with pytest.raises(ValueError, match='brightness'):
        ColorJitter(brightness=2)
    assert repr(ColorJitter()) == ('ColorJitter(brightness=0.2, contrast=0.2, '
                                   'saturation=0.2, prob=0.5)')
