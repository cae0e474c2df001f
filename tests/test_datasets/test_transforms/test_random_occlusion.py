"""RandomOcclusion: rectangles of the requested size and fill."""
import numpy as np
import pytest

from mmface3d.datasets.transforms import RandomOcclusion


def test_rectangles_respect_area_and_fill():
    np.random.seed(0)
    transform = RandomOcclusion(max_rects=1, area=(0.1, 0.1), aspect=(1, 1),
                                fill=0, prob=1)
    for _ in range(20):
        img = np.full((120, 120, 3), 255, np.uint8)
        out = transform(dict(img=img))['img']
        assert (img == 255).all()  # the input is not modified in place
        hidden = out[..., 0] == 0
        rows, cols = np.nonzero(hidden)
        # one 38x38 square (0.1 * 120^2 = 1440 = 37.9^2)
        assert hidden.sum() == 38 * 38
        assert np.ptp(rows) == 37 and np.ptp(cols) == 37


def test_noise_fill_and_count():
    np.random.seed(1)
    transform = RandomOcclusion(max_rects=3, area=(0.01, 0.02), prob=1)
    counts = []
    for _ in range(30):
        rects = transform._sample(60, 60)
        assert 1 <= len(rects) <= 3
        counts.append(len(rects))
        for x0, y0, x1, y1 in rects:
            assert 0 <= x0 < x1 <= 60 and 0 <= y0 < y1 <= 60
    assert set(counts) == {1, 2, 3}
    out = transform(dict(img=np.full((60, 60, 3), 128, np.uint8)))['img']
    assert (out != 128).any()


def test_prob_zero_and_args():
    img = np.zeros((10, 10, 3), np.uint8)
    np.testing.assert_array_equal(
        RandomOcclusion(prob=0)(dict(img=img.copy()))['img'], img)
    with pytest.raises(ValueError, match='fill'):
        RandomOcclusion(fill='blue')
    with pytest.raises(ValueError, match='area'):
        RandomOcclusion(area=(0.5, 2))
    assert repr(RandomOcclusion()).startswith('RandomOcclusion(max_rects=1')
