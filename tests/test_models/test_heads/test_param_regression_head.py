"""ParamRegressionHead on a tiny morphable model with hand-computed
answers (see tests/test_models/conftest.py)."""
import numpy as np
import pytest
import torch

from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample

IN_CHANNELS = 4
ROI_BOXES = np.array([[10.0, 20.0, 250.0, 260.0], [-30.0, 5.0, 90.0, 125.0]])


@pytest.fixture
def head(tiny_morphable_cfg):
    head = MODELS.build(
        dict(
            type='ParamRegressionHead',
            in_channels=IN_CHANNELS,
            morphable_model=tiny_morphable_cfg,
            loss=dict(type='ParamMSELoss', loss_weight=1.0)))
    head.init_weights()
    return head


def set_linear(head, weight, bias):
    with torch.no_grad():
        head.fc.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
        head.fc.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))


def expected_image_landmarks(vertices, params):
    """REFERENCE section 2 by hand: (68, 3) image points of one sample."""
    camera = params[:12].reshape(3, 4)
    return camera[:, :3] @ vertices.T + camera[:, 3:]


def test_forward_shape_and_default_init(head):
    out = head((torch.randn(3, IN_CHANNELS), ))
    assert out.shape == (3, 62)
    assert head.fc.bias.abs().max() == 0
    assert head.fc.weight.std().item() == pytest.approx(0.01, rel=0.5)


def test_predict_fills_samples_with_hand_computed_values(head, tiny_bfm_files):
    std = tiny_bfm_files['std']
    weight = np.zeros((62, IN_CHANNELS))
    weight[12, 0] = 1.0  # first shape coefficient = feature 0 (whitened)
    bias = np.zeros(62)
    set_linear(head, weight, bias)
    feats = torch.tensor([[0.0, 1, 2, 3], [0.3, 1, 2, 3]])
    samples = [
        Face3DDataSample(metainfo=dict(roi_box=box)) for box in ROI_BOXES
    ]
    out = head.predict((feats, ), samples)
    assert out is samples

    basis = tiny_bfm_files['shape_basis'][:, 0].reshape(-1, 3)
    for i, sample in enumerate(out):
        params = tiny_bfm_files['mean_params'].copy()
        params[12] = feats[i, 0].item() * std[12]
        np.testing.assert_allclose(
            sample.pred_params.numpy(), params, rtol=1e-5, atol=1e-5)
        vertices = tiny_bfm_files['vertices'] + params[12] * basis
        crop = expected_image_landmarks(vertices, params)  # (3, 68)
        crop[1] = 121 - crop[1]  # v1 flip
        sx, sy, ex, ey = ROI_BOXES[i]
        scale = np.array([(ex - sx) / 120, (ey - sy) / 120])
        image = np.stack([
            crop[0] * scale[0] + sx, crop[1] * scale[1] + sy,
            crop[2] * scale.mean()
        ], 1)
        assert sample.pred_landmarks.shape == (68, 3)
        np.testing.assert_allclose(
            sample.pred_landmarks.numpy(), image, rtol=1e-4, atol=1e-3)
        # A scaled identity camera has no rotation.
        np.testing.assert_allclose(
            sample.pred_pose.numpy(), np.zeros(3), atol=1e-4)


def test_loss_whitens_raw_targets(head, tiny_bfm_files):
    bias = np.linspace(-1, 1, 62)
    set_linear(head, np.zeros((62, IN_CHANNELS)), bias)
    targets_white = [np.full(62, 0.5), np.arange(62) / 62.0]
    samples = [
        Face3DDataSample(
            gt_params=torch.tensor(
                tiny_bfm_files['mean_params'] + tiny_bfm_files['std'] * t,
                dtype=torch.float32)) for t in targets_white
    ]
    losses = head.loss((torch.zeros(2, IN_CHANNELS), ), samples)
    expected = np.mean([(bias - t)**2 for t in targets_white])
    assert set(losses) == {'loss_params'}
    assert losses['loss_params'].item() == pytest.approx(expected, rel=1e-4)


def test_loss_backpropagates_to_the_linear_layer(head):
    samples = [Face3DDataSample(gt_params=torch.ones(62))]
    head.loss((torch.ones(1, IN_CHANNELS), ),
              samples)['loss_params'].backward()
    assert head.fc.weight.grad.abs().sum() > 0


def test_errors(head, tiny_morphable_cfg):
    feats = (torch.zeros(1, IN_CHANNELS), )
    with pytest.raises(KeyError, match='roi_box'):
        head.predict(feats, [Face3DDataSample()])
    with pytest.raises(KeyError, match='gt_params'):
        head.loss(feats, [Face3DDataSample()])
    with pytest.raises(ValueError, match='`gt_params` must hold 62'):
        head.loss(feats, [Face3DDataSample(gt_params=torch.zeros(61))])
    with pytest.raises(ValueError, match='`roi_box` must hold 4'):
        head.predict(feats, [Face3DDataSample(metainfo=dict(roi_box=[0, 1]))])
    with pytest.raises(ValueError, match=r'\(B, 4\)'):
        head((torch.zeros(1, 5), ))
    with pytest.raises(ValueError, match='num_params=60'):
        MODELS.build(
            dict(
                type='ParamRegressionHead',
                in_channels=IN_CHANNELS,
                num_params=60,
                morphable_model=tiny_morphable_cfg))
