"""draw_face / draw_lighting: random faces that fill the image as the
benchmark crop rule does, a pure function of the generator."""
import numpy as np
import pytest
import torch

from mmface3d.datasets.synthetic import SPLITS, draw_face, draw_lighting
from mmface3d.morphable import MorphableModel

V2_MODEL = dict(
    model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2',
    param_stats='bfm/param_mean_std_62d_120x120.pkl',
    convention='v2')


@pytest.fixture(scope='module', params=['v1', 'v2'])
def model(request, data_root):
    if request.param == 'v1':
        return MorphableModel()
    return MorphableModel(**V2_MODEL)


@pytest.mark.parametrize('split', sorted(SPLITS))
@pytest.mark.parametrize('size', [120, 200])
def test_landmark_box_fills_the_image(model, split, size):
    """The landmark bbox side (max of w, h) is size / sqrt(2) times a
    jitter in [0.9, 1.1], centred within 5 % of the side of the image centre
    (in the convention's pixel coordinates), over 30 draws."""
    sides, centres = [], []
    for seed in range(30):
        face = draw_face(np.random.default_rng(seed), model, SPLITS[split],
                         size)
        assert face['params'].dtype == np.float32
        assert face['params'].shape == (model.num_params, )
        points = model.landmarks(torch.from_numpy(face['params'])[None])[0]
        lo, hi = points[:2].amin(1).numpy(), points[:2].amax(1).numpy()
        sides.append((hi - lo).max())
        centres.append((lo + hi) / 2)
    ratio = np.array(sides) / (size / np.sqrt(2))
    assert ((ratio > 0.9 - 1e-4) & (ratio < 1.1 + 1e-4)).all(), ratio
    assert ratio.std() > 0.02  # the jitter is there
    origin = 1.0 if model.convention == 'v1' else 0.0
    # the image centre in pixel coordinates: pixel j is centred on origin + j
    offset = np.array(centres) - (size / 2 + origin - 0.5)
    assert (np.abs(offset) <= 0.05 * size + 0.5 + 1e-3).all()


def test_deterministic_per_generator_seed(data_root):
    model = MorphableModel()
    first = draw_face(np.random.default_rng([7, 3, 11]), model, SPLITS['3d'],
                      120)
    again = draw_face(np.random.default_rng([7, 3, 11]), model, SPLITS['3d'],
                      120)
    other = draw_face(np.random.default_rng([7, 3, 12]), model, SPLITS['3d'],
                      120)
    np.testing.assert_array_equal(first['params'], again['params'])
    np.testing.assert_array_equal(first['pose'], again['pose'])
    assert not np.array_equal(first['params'], other['params'])
    # the drawn pose is the pose of the params (yaw, pitch, roll in degrees)
    pose = model.pose(torch.from_numpy(first['params'])[None])[0]
    np.testing.assert_allclose(pose.numpy(), first['pose'], atol=1e-2)
    # shape and expression stay within the clip of 3 whitening stds
    mean, std = model.param_mean.numpy(), model.param_std.numpy()
    for seed in range(10):
        params = draw_face(np.random.default_rng(seed), model, SPLITS['2d'],
                           120)['params']
        scale = np.r_[np.full(40, SPLITS['2d']['shape_scale']),
                      np.full(10, SPLITS['2d']['exp_scale'])]
        z = (params[12:] - mean[12:]) / (std[12:] * scale)
        assert np.abs(z).max() <= 3 + 1e-3


def test_lighting_is_deterministic_and_unit():
    first = draw_lighting(np.random.default_rng(5))
    again = draw_lighting(np.random.default_rng(5))
    for key in ('albedo', 'light_dir', 'ambient', 'diffuse'):
        assert first[key].shape == (3, ) and first[key].dtype == np.float32
        np.testing.assert_array_equal(first[key], again[key])
    assert np.linalg.norm(first['light_dir']) == pytest.approx(1, abs=1e-6)
