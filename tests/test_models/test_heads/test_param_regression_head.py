"""ParamRegressionHead on a tiny morphable model with hand-computed
answers (see tests/test_models/conftest.py)."""
import numpy as np
import pytest
import torch

from mmface3d.morphable import transform_params
from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample

IN_CHANNELS = 4
ROI_BOXES = np.array([[10.0, 20.0, 250.0, 260.0], [-30.0, 5.0, 90.0, 125.0]])


def box_crop_affine(box):
    """(2, 3) image-to-crop map of a box: ``q = (p - start) * 120 / size``.
    """
    sx, sy, ex, ey = box
    a, b = 120 / (ex - sx), 120 / (ey - sy)
    return np.array([[a, 0, -a * sx], [0, b, -b * sy]])


def rotation_about_centre(degrees):
    """(2, 3) rotation of the 120 px crop about its centre (60, 60)."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    rot = np.array([[c, -s], [s, c]])
    return np.concatenate([rot, (np.array([60.0, 60.0]) - rot @ [60, 60])
                           [:, None]], 1)


def then(outer, inner):
    """(2, 3) affine applying ``inner``, then ``outer``."""
    return np.concatenate([
        outer[:, :2] @ inner[:, :2],
        (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]
    ], 1)


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


def crop_points(vertices, params):
    """REFERENCE section 2 by hand: (3, 68) v1 crop points of one sample."""
    camera = params[:12].reshape(3, 4)
    points = camera[:, :3] @ vertices.T + camera[:, 3:]
    points[1] = 121 - points[1]  # v1 flip
    return points


def predict_samples(head, crop_affines, feats=None):
    samples = [
        Face3DDataSample(metainfo=dict(crop_affine=affine.astype(np.float32)))
        for affine in crop_affines
    ]
    if feats is None:
        feats = torch.zeros(len(samples), IN_CHANNELS)
    out = head.predict((feats, ), samples)
    assert out is samples
    return out


def test_forward_shape_and_default_init(head):
    out = head((torch.randn(3, IN_CHANNELS), ))
    assert out.shape == (3, 62)
    assert head.fc.bias.abs().max() == 0
    assert head.fc.weight.std().item() == pytest.approx(0.01, rel=0.5)


def test_predict_fills_samples_with_hand_computed_values(head, tiny_bfm_files):
    std = tiny_bfm_files['std']
    weight = np.zeros((62, IN_CHANNELS))
    weight[12, 0] = 1.0  # first shape coefficient = feature 0 (whitened)
    set_linear(head, weight, np.zeros(62))
    feats = torch.tensor([[0.0, 1, 2, 3], [0.3, 1, 2, 3]])
    out = predict_samples(head, [box_crop_affine(b) for b in ROI_BOXES],
                          feats)

    basis = tiny_bfm_files['shape_basis'][:, 0].reshape(-1, 3)
    for i, sample in enumerate(out):
        params = tiny_bfm_files['mean_params'].copy()
        params[12] = feats[i, 0].item() * std[12]
        np.testing.assert_allclose(
            sample.pred_params.numpy(), params, rtol=1e-5, atol=1e-5)
        vertices = tiny_bfm_files['vertices'] + params[12] * basis
        crop = crop_points(vertices, params)
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


def test_predict_names_the_morphable_model(head, tiny_bfm_files):
    out = predict_samples(head, [box_crop_affine(ROI_BOXES[0])])
    cfg = out[0].metainfo['pred_morphable_model']
    assert cfg == head.morphable_model.mesh_cfg
    assert cfg['model_path'] == tiny_bfm_files['model_path']
    assert (cfg['layout'], cfg['convention'], cfg['param_stats']) == (
        '3ddfa_v2', 'v1', None)


def test_rotated_crop_gives_the_same_image_face(head, tiny_bfm_files):
    """The face a network sees in a crop turned by 25 degrees (its params
    moved into that crop) decodes to the landmarks and pose of the plain
    crop."""
    box = ROI_BOXES[0]
    plain = box_crop_affine(box)
    rotated = then(rotation_about_centre(25.0), plain)
    params = tiny_bfm_files['mean_params'].copy()
    params[12:14] = [0.7, -0.4]
    std, mean = tiny_bfm_files['std'], tiny_bfm_files['mean_params']
    # the same face in the rotated crop: rotate its crop points about the
    # centre; exact for a rotation (REFERENCE section 2 camera)
    params_rot = transform_params(
        torch.from_numpy(params)[None],
        torch.from_numpy(rotation_about_centre(25.0))[None])[0].numpy()
    vertices = tiny_bfm_files['vertices'] + (
        tiny_bfm_files['shape_basis'][:, :2] @ params[12:14]).reshape(-1, 3)
    rot = rotation_about_centre(25.0)
    np.testing.assert_allclose(
        crop_points(vertices, params_rot),
        np.concatenate([
            rot[:, :2] @ crop_points(vertices, params)[:2] + rot[:, 2:],
            crop_points(vertices, params)[2:]
        ]), atol=1e-9)

    set_linear(head, np.zeros((62, IN_CHANNELS)), (params - mean) / std)
    expected = predict_samples(head, [plain])[0]
    set_linear(head, np.zeros((62, IN_CHANNELS)), (params_rot - mean) / std)
    got = predict_samples(head, [rotated])[0]
    np.testing.assert_allclose(got.pred_landmarks.numpy(),
                               expected.pred_landmarks.numpy(), atol=1e-3)
    np.testing.assert_allclose(got.pred_pose.numpy(), np.zeros(3),
                               atol=1e-3)
    # decode is the same map, on tensors
    decoded = head.decode(
        torch.tensor((params_rot - mean) / std, dtype=torch.float32)[None],
        torch.tensor(rotated, dtype=torch.float32)[None])
    torch.testing.assert_close(decoded['landmarks'][0],
                               expected.pred_landmarks, rtol=0, atol=1e-3)
    assert set(decoded) == {'params', 'landmarks', 'pose'}


def whitened_loss_samples(tiny_bfm_files, targets_white, conventions):
    mean, std = tiny_bfm_files['mean_params'], tiny_bfm_files['std']
    return [
        Face3DDataSample(
            metainfo=dict(params_convention=c),
            gt_params=torch.tensor(mean + std * t, dtype=torch.float32))
        for t, c in zip(targets_white, conventions)
    ]


def test_loss_whitens_raw_targets(head, tiny_bfm_files):
    bias = np.linspace(-1, 1, 62)
    set_linear(head, np.zeros((62, IN_CHANNELS)), bias)
    targets_white = [np.full(62, 0.5), np.arange(62) / 62.0]
    samples = whitened_loss_samples(tiny_bfm_files, targets_white,
                                    ['v1', 'v1'])
    losses = head.loss((torch.zeros(2, IN_CHANNELS), ), samples)
    expected = np.mean([(bias - t)**2 for t in targets_white])
    assert set(losses) == {'loss_params'}
    assert losses['loss_params'].item() == pytest.approx(expected, rel=1e-4)


def test_loss_converts_v2_targets_for_a_v1_head(head, tiny_bfm_files):
    """A v2 target projects x - 1 and 120 - y where the v1 head projects
    x and 121 - y: the same face has t_x(v1) = t_x(v2) - 1 and
    t_y(v1) = t_y(v2) + 1 (params 3 and 7)."""
    mean, std = tiny_bfm_files['mean_params'], tiny_bfm_files['std']
    bias = np.linspace(-1, 1, 62)
    set_linear(head, np.zeros((62, IN_CHANNELS)), bias)
    targets_white = [np.full(62, 0.5), np.arange(62) / 62.0]
    samples = whitened_loss_samples(tiny_bfm_files, targets_white,
                                    ['v2', 'v1'])
    raw_v1 = mean + std * targets_white[0]
    raw_v1[3] -= 1
    raw_v1[7] += 1
    expected_targets = [(raw_v1 - mean) / std, targets_white[1]]
    expected = np.mean([(bias - t)**2 for t in expected_targets])
    losses = head.loss((torch.zeros(2, IN_CHANNELS), ), samples)
    assert losses['loss_params'].item() == pytest.approx(expected, rel=1e-4)
    unconverted = np.mean([(bias - t)**2 for t in targets_white])
    assert abs(unconverted - expected) > 1e-3


def test_loss_backpropagates_to_the_linear_layer(head):
    samples = [Face3DDataSample(metainfo=dict(params_convention='v1'),
                                gt_params=torch.ones(62))]
    head.loss((torch.ones(1, IN_CHANNELS), ),
              samples)['loss_params'].backward()
    assert head.fc.weight.grad.abs().sum() > 0


def test_loss_without_param_stats(tiny_morphable_cfg):
    head = MODELS.build(
        dict(
            type='ParamRegressionHead',
            in_channels=IN_CHANNELS,
            morphable_model=dict(tiny_morphable_cfg, param_stats=None)))
    samples = [Face3DDataSample(metainfo=dict(params_convention='v1'),
                                gt_params=torch.ones(62))]
    with pytest.raises(ValueError, match='param_stats'):
        head.loss((torch.zeros(1, IN_CHANNELS), ), samples)


def test_errors(head, tiny_morphable_cfg):
    feats = (torch.zeros(1, IN_CHANNELS), )
    with pytest.raises(KeyError, match='crop_affine'):
        head.predict(feats, [Face3DDataSample()])
    with pytest.raises(ValueError, match='`crop_affine` must hold 6'):
        head.predict(feats,
                     [Face3DDataSample(metainfo=dict(crop_affine=[0, 1]))])
    with pytest.raises(KeyError, match='gt_params'):
        head.loss(feats, [Face3DDataSample()])
    with pytest.raises(ValueError, match='`gt_params` must hold 62'):
        head.loss(feats, [
            Face3DDataSample(metainfo=dict(params_convention='v1'),
                             gt_params=torch.zeros(61))
        ])
    with pytest.raises(KeyError, match='params_convention'):
        head.loss(feats, [Face3DDataSample(gt_params=torch.zeros(62))])
    with pytest.raises(ValueError, match=r'\(B, 4\)'):
        head((torch.zeros(1, 5), ))
    with pytest.raises(ValueError, match='num_params=60'):
        MODELS.build(
            dict(
                type='ParamRegressionHead',
                in_channels=IN_CHANNELS,
                num_params=60,
                morphable_model=tiny_morphable_cfg))
