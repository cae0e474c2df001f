"""SampleCache: a rendered sample written as .png + .npz and read back."""
import numpy as np

from mmface3d.datasets.synthetic import SampleCache


def make_sample(seed=0, size=32):
    rng = np.random.default_rng(seed)
    return dict(
        img=rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
        img_path='synthetic://3d/000004',
        ori_shape=(size, size),
        img_shape=(size, size),
        roi_box=np.array([0, 0, size, size], np.float32),
        gt_params_img=rng.standard_normal(62).astype(np.float32),
        gt_landmarks_3d=rng.standard_normal((68, 3)).astype(np.float32),
        landmarks_2d_input=rng.standard_normal((68, 2)).astype(np.float32),
        has_3d=True,
        has_2d=False,
        yaw=-37.25,
        params_convention='v2')


def test_round_trip(tmp_path):
    cache = SampleCache(tmp_path / 'split', img_size=32)
    assert cache.read(4) is None  # nothing written yet
    sample = make_sample()
    cache.write(4, sample)
    assert sorted(p.name for p in (tmp_path / 'split').iterdir()) == \
        ['000004.npz', '000004.png']
    read = cache.read(4)
    # the path and shapes are rebuilt from the index, not stored
    assert set(read) == set(sample) - {'img_path', 'ori_shape', 'img_shape'}
    for key in ('img', 'roi_box', 'gt_params_img', 'gt_landmarks_3d',
                'landmarks_2d_input'):
        assert read[key].dtype == sample[key].dtype, key
        np.testing.assert_array_equal(read[key], sample[key], err_msg=key)
    assert read['has_3d'] is True and read['has_2d'] is False
    assert isinstance(read['yaw'], float) and read['yaw'] == -37.25
    assert read['params_convention'] == 'v2'
    assert cache.read(5) is None


def test_incomplete_or_foreign_entries_are_misses(tmp_path):
    cache = SampleCache(tmp_path, img_size=32)
    cache.write(1, make_sample(1))
    (tmp_path / '000001.npz').unlink()
    assert cache.read(1) is None  # the image alone is not a sample
    # a sample of another image size is not served
    SampleCache(tmp_path, img_size=40).write(2, make_sample(2, size=40))
    assert cache.read(2) is None
    assert SampleCache(tmp_path, img_size=40).read(2) is not None
    # no temporary files left behind
    assert not [p for p in tmp_path.iterdir() if '.tmp' in p.name]
