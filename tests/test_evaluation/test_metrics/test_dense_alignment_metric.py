import numpy as np
import pytest
import torch

from mmface3d.evaluation import DenseAlignmentMetric, Reconstruction3DMetric
from mmface3d.evaluation.functional import SUMMARY_KEYS
from mmface3d.evaluation.metrics import base_aflw2000_metric
from mmface3d.morphable import (compose_affine, convert_convention,
                                flip_affine, get_face_mirror,
                                get_morphable_model, transform_params)
from mmface3d.registry import METRICS

# images in all three yaw buckets (id 14 has |yaw| > 90) with square
# benchmark boxes, and 109 with one of the 54 non-square ones (316 x 261)
SQUARE_IDS = [0, 2, 1, 14]
IDS = SQUARE_IDS + [109]

V1_MODEL = dict(
    type='MorphableModel',
    model_path='bfm',
    layout='3ddfa',
    param_stats='bfm/param_whitening.pkl',
    convention='v1')
V2_MODEL = dict(
    type='MorphableModel',
    model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2',
    param_stats=None,
    convention='v2')


def build(**kwargs):
    return METRICS.build(
        dict(type='DenseAlignmentMetric', allow_partial=True, **kwargs))


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


@pytest.fixture(scope='module')
def bfm_v2(data_root):
    return get_morphable_model(V2_MODEL, str(data_root))


def v2_predictions(aflw_gt, gt_predictions):
    """The ground truth (v1 convention) as a 3DDFA_V2 model predicts it:
    crop params in the v2 convention on the released crops."""
    params = convert_convention(
        torch.from_numpy(aflw_gt['params_img']).double(), 'v1', 'v2')
    affine = torch.from_numpy(gt_predictions['crop_affines']).double()
    return transform_params(params, affine, 'v2').float().numpy()


@pytest.fixture
def spy_model(monkeypatch):
    """Records the morphable models the mesh metrics decode with."""
    used = []

    def spy(cfg, data_root=None):
        used.append(get_morphable_model(cfg, data_root))
        return used[-1]

    monkeypatch.setattr(base_aflw2000_metric, 'get_morphable_model', spy)
    return used


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_gt_params_give_zero(aflw_gt, gt_predictions, bfm_v2, make_samples,
                             spy_model, version):
    """Predictions that are the ground-truth params (for v2 converted from
    the annotation's v1 convention) rebuild the ground-truth mesh: 0 NME
    (square boxes, see test_non_square_box_scales_depth). Without a
    configured model the metric decodes with the predictions' one (the
    38365-vertex no-neck mesh for v2)."""
    if version == 'v1':
        params, mesh_cfg = gt_predictions['params'], gt_predictions[
            'mesh_cfg']
    else:
        params = v2_predictions(aflw_gt, gt_predictions)
        mesh_cfg = bfm_v2.mesh_cfg
    samples = make_samples(
        SQUARE_IDS, aflw_gt, mesh_cfg=mesh_cfg, pred_params=params,
        crop_affine=gt_predictions['crop_affines'])
    out = evaluate(build(), samples)
    assert set(out) == {
        f'aflw2000/nme_dense_gt40+10_{dim}_{key}'
        for dim in ('2d', '3d') for key in SUMMARY_KEYS
    }
    assert max(abs(v) for v in out.values()) < 1e-4
    assert {m.num_vertices for m in spy_model} == \
        {53215 if version == 'v1' else 38365}


def test_non_square_box_scales_depth(aflw_gt, gt_predictions, bfm_v1,
                                     make_samples):
    """Depth follows REFERENCE.md sections 2 and 3: into the crop z is
    scaled by the mean of the two axis scales, s_z = (s_x + s_y) / 2, and
    back into the image by the mean of the inverse ones, (1 / s_x +
    1 / s_y) / 2. On a non-square box the round trip scales depth by
    k = (2 + r + 1 / r) / 4 (r = s_x / s_y), so the ground truth predicted
    on its crop has exact (x, y) and 3D errors (k - 1) (z - min z)."""
    i = 109
    box = aflw_gt['roi_boxes'][i].astype(np.float64)
    r = (box[3] - box[1]) / (box[2] - box[0])
    k = (2 + r + 1 / r) / 4
    mesh = bfm_v1.reconstruct(torch.from_numpy(aflw_gt['params_img'][i:i + 1]))
    depth = (mesh[0, 2] - mesh[0, 2].min()).double().numpy()
    gt = aflw_gt['landmarks'][i].astype(np.float64)
    norm = np.sqrt(np.prod(gt[:, :2].max(0) - gt[:, :2].min(0)))
    out = evaluate(
        build(),
        make_samples([i], aflw_gt, mesh_cfg=gt_predictions['mesh_cfg'],
                     pred_params=gt_predictions['params'],
                     crop_affine=gt_predictions['crop_affines']))
    assert out['aflw2000/nme_dense_gt40+10_2d_all'] < 1e-4
    assert out['aflw2000/nme_dense_gt40+10_3d_all'] == pytest.approx(
        100 * (k - 1) * depth.mean() / norm, rel=1e-3)


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_translated_params_give_known_error(aflw_gt, gt_predictions, bfm_v2,
                                            make_samples, version):
    """Moving the crop translation by (a, b, c) moves every vertex by
    (a, -b) crop pixels (both conventions flip y), i.e. by (a (ex - sx),
    -b (ey - sy)) / 120 image pixels; z offsets vanish with the min-z
    shift."""
    if version == 'v1':
        params, mesh_cfg = gt_predictions['params'].copy(), \
            gt_predictions['mesh_cfg']
    else:
        params = v2_predictions(aflw_gt, gt_predictions)
        mesh_cfg = bfm_v2.mesh_cfg
    a, b, c = 1.5, -2.0, 7.0
    params[:, [3, 7, 11]] += [a, b, c]
    boxes = aflw_gt['roi_boxes'].astype(np.float64)
    scale = (boxes[:, 2:] - boxes[:, :2]) / 120
    shift = np.hypot(a * scale[:, 0], -b * scale[:, 1])
    gt = aflw_gt['landmarks'].astype(np.float64)
    norm = np.sqrt(np.prod(gt[..., :2].max(1) - gt[..., :2].min(1), 1))
    expected = 100 * np.mean(shift[IDS] / norm[IDS])
    metric = build(chunk_size=3)  # two chunks
    out = evaluate(
        metric,
        make_samples(IDS, aflw_gt, mesh_cfg=mesh_cfg, pred_params=params,
                     crop_affine=gt_predictions['crop_affines']))
    assert out['aflw2000/nme_dense_gt40+10_2d_all'] == pytest.approx(
        expected, rel=1e-4)
    assert out['aflw2000/nme_dense_gt40+10_3d_all'] == pytest.approx(
        expected, rel=1e-4)


def test_prediction_on_mirrored_crop(aflw_gt, gt_predictions, make_samples):
    """A face predicted on a flipped crop (the mirrored ground truth, a
    proper camera as a network predicts it) is un-mirrored: only the shape
    re-fit of the mirror remains."""
    affine = torch.from_numpy(gt_predictions['crop_affines']).double()
    axis = torch.full((2000, ), 121.0, dtype=torch.float64)  # 1-based
    flipped = compose_affine(flip_affine(axis), affine)
    # the metric's own (cached) mirror of the model
    mirror = get_face_mirror(gt_predictions['mesh_cfg'])
    params = mirror(
        torch.from_numpy(gt_predictions['params']).double(), axis)
    out = evaluate(
        build(),
        make_samples(IDS, aflw_gt, mesh_cfg=gt_predictions['mesh_cfg'],
                     pred_params=params.float().numpy(),
                     crop_affine=flipped.float().numpy()))
    assert 0 < out['aflw2000/nme_dense_gt40+10_2d_all'] < 0.3


@pytest.mark.parametrize('metric_type',
                         [DenseAlignmentMetric, Reconstruction3DMetric])
def test_refuses_predictions_of_another_model(aflw_gt, gt_predictions,
                                              bfm_v2, make_samples,
                                              metric_type):
    """v2 predictions scored with a v1 morphable model configured: a clear
    error instead of decoding them with the wrong mesh."""
    samples = make_samples(
        SQUARE_IDS, aflw_gt, mesh_cfg=bfm_v2.mesh_cfg,
        pred_params=v2_predictions(aflw_gt, gt_predictions),
        crop_affine=gt_predictions['crop_affines'])
    for config in (V1_MODEL, dict(type='MorphableModel')):
        metric = metric_type(morphable_model=config, allow_partial=True)
        metric.process(None, samples)
        with pytest.raises(ValueError,
                           match=r'does not match the predictions.*'
                           r'bfm_noneck_v3\.pkl'):
            metric.evaluate(len(samples))
    # the matching model is accepted
    out = evaluate(
        metric_type(morphable_model=V2_MODEL, allow_partial=True), samples)
    assert max(abs(v) for v in out.values()) < 1e-3


def test_refuses_predictions_of_several_models(aflw_gt, gt_predictions,
                                               bfm_v2, make_samples):
    samples = make_samples(
        IDS[:1], aflw_gt, mesh_cfg=gt_predictions['mesh_cfg'],
        pred_params=gt_predictions['params'],
        crop_affine=gt_predictions['crop_affines']) + make_samples(
            IDS[1:2], aflw_gt, mesh_cfg=bfm_v2.mesh_cfg,
            pred_params=v2_predictions(aflw_gt, gt_predictions),
            crop_affine=gt_predictions['crop_affines'])
    metric = build()
    metric.process(None, samples)
    with pytest.raises(ValueError, match='different morphable models'):
        metric.evaluate(2)


def test_bad_samples(aflw_gt, gt_predictions, make_samples):
    def sample(**fields):
        return make_samples(
            [0], aflw_gt, mesh_cfg=gt_predictions['mesh_cfg'],
            **dict(dict(pred_params=gt_predictions['params'],
                        crop_affine=gt_predictions['crop_affines']),
                   **fields))

    with pytest.raises(ValueError, match=r'pred_params.*expected \(62,\)'):
        build().process(
            None, sample(pred_params=np.zeros((1, 60), np.float32)))
    for key in ('pred_morphable_model', 'crop_affine', 'gt_params_img',
                'params_convention'):
        data = sample()
        del data[0][key]
        with pytest.raises(KeyError, match=rf'img_id=0.*`{key}`'):
            build().process(None, data)
