"""Face3DRegressor: modes and mmengine steps (the shipped configs are
built and run by tests/test_configs.py)."""
import pytest
import torch
from mmengine.optim import OptimWrapper

from mmface3d.models import Face3DDataPreprocessor
from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample


@pytest.fixture
def model(tiny_morphable_cfg):
    model = MODELS.build(
        dict(
            type='Face3DRegressor',
            backbone=dict(type='MobileNetV1', widen_factor=0.25),
            head=dict(
                type='ParamRegressionHead',
                in_channels=256,
                morphable_model=tiny_morphable_cfg)))
    model.init_weights()
    return model


def batch(num=2, size=64, channels=3):
    samples = [
        Face3DDataSample(
            metainfo=dict(
                crop_affine=[[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]],
                params_convention='v1'),
            gt_params=torch.full((62, ), 0.1 * i)) for i in range(num)
    ]
    inputs = [torch.randn(channels, size, size) for _ in range(num)]
    return dict(inputs=inputs, data_samples=samples)


def test_default_preprocessor(model):
    assert isinstance(model.data_preprocessor, Face3DDataPreprocessor)
    assert model.data_preprocessor.num_channels == 3


def test_modes(model):
    data = model.data_preprocessor(batch())
    model.eval()
    params = model(data['inputs'], mode='tensor')
    assert params.shape == (2, 62)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert len(samples) == 2
    for sample, white in zip(samples, params):
        assert sample.pred_landmarks.shape == (68, 3)
        assert sample.pred_pose.shape == (3, )
        torch.testing.assert_close(
            sample.pred_params,
            model.morphable_model.dewhiten(white[None])[0])
        # a 240 px box at the origin: image points are twice the crop ones
        torch.testing.assert_close(
            sample.pred_landmarks[:, :2],
            2 * model.morphable_model.landmarks(
                sample.pred_params[None])[0, :2].T)
        assert sample.metainfo['pred_morphable_model'] == \
            model.morphable_model.mesh_cfg
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_params'}


def test_train_and_test_steps(model):
    model.train()
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.head.fc.weight.detach().clone()
    log_vars = model.train_step(batch(), optim_wrapper)
    assert 'loss' in log_vars and 'loss_params' in log_vars
    assert not torch.equal(before, model.head.fc.weight)
    model.eval()
    samples = model.test_step(batch())
    assert all('pred_landmarks' in s for s in samples)


def test_mode_errors(model):
    inputs = torch.randn(1, 3, 64, 64)
    with pytest.raises(ValueError, match='needs data_samples'):
        model(inputs, mode='loss')
    with pytest.raises(ValueError, match="'tensor', 'loss' or 'predict'"):
        model(inputs, [Face3DDataSample()], mode='features')
