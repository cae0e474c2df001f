import numpy as np
import pytest

from mmface3d.evaluation.functional import SUMMARY_KEYS
from mmface3d.registry import METRICS

# images with square benchmark boxes, in all three yaw buckets (id 14 has
# |yaw| > 90)
IDS = [0, 2, 1, 14]


def build(**kwargs):
    return METRICS.build(
        dict(type='DenseAlignmentMetric', allow_partial=True, **kwargs))


def test_gt_params_give_zero(aflw_ann, gt_predictions, make_samples):
    metric = build()
    metric.process(
        None,
        make_samples(IDS, aflw_ann['names'],
                     pred_params=gt_predictions['params'],
                     roi_box=gt_predictions['roi_boxes']))
    out = metric.evaluate(len(IDS))
    assert set(out) == {
        f'aflw2000/nme_dense_gt40+10_{dim}_{key}'
        for dim in ('2d', '3d') for key in SUMMARY_KEYS
    }
    assert max(abs(v) for v in out.values()) < 1e-4


V2_MODEL = dict(
    type='MorphableModel',
    model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2',
    param_stats=None,
    convention='v2')


@pytest.mark.parametrize('model,num_vertices', [(None, 53215),
                                                (V2_MODEL, 38365)])
def test_translated_params_give_known_error(aflw_ann, make_samples, model,
                                            num_vertices):
    """Moving the crop translation by (a, b, c) moves every vertex by
    (a, -b) crop pixels (both flips negate y), i.e. by the box scale times
    that in the image; z offsets vanish with the min-z shift."""
    metric = build(chunk_size=3, morphable_model=model)  # two chunks
    assert metric.model.num_vertices == num_vertices
    a, b, c = 1.5, -2.0, 7.0
    params = metric.gt_params.numpy().copy()
    params[:, [3, 7, 11]] += [a, b, c]
    boxes = metric.gt_roi_boxes.astype(np.float32)
    scale = (boxes[:, 2:] - boxes[:, :2]) / 120
    shift = np.hypot(a * scale[:, 0], -b * scale[:, 1])
    gt = aflw_ann['landmarks']
    norm = np.sqrt(np.prod(gt[..., :2].max(1) - gt[..., :2].min(1), 1))
    expected = 100 * np.mean(shift[IDS] / norm[IDS])
    metric.process(
        None,
        make_samples(IDS, aflw_ann['names'], pred_params=params,
                     roi_box=boxes))
    out = metric.evaluate(len(IDS))
    assert out['aflw2000/nme_dense_gt40+10_2d_all'] == pytest.approx(
        expected, rel=1e-4)
    assert out['aflw2000/nme_dense_gt40+10_3d_all'] == pytest.approx(
        expected, rel=1e-4)


def test_wrong_params_length(aflw_ann, make_samples):
    samples = make_samples([0], aflw_ann['names'],
                           pred_params=np.zeros((1, 60), np.float32),
                           roi_box=np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match=r'pred_params.*expected \(62,\)'):
        build().process(None, samples)
