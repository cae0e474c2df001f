"""End to end on the AFLW 21-point benchmark: AFLW21Dataset (3DDFA layout,
with points marked -1) -> LoadFaceImage / FaceCrop / NormalizeFace /
PackFace3DInputs -> AFLW21Metric, against NMEs computed by hand from the
raw arrays."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmface3d.datasets import AFLW21Dataset
from mmface3d.evaluation.metrics import AFLW21Metric
from mmface3d.morphable.landmark_layouts import AFLW21_TO_68

ROWS = np.array([0, 1, 2, 3])  # yaw 1, 68, 50 and 17 degrees
SIDE = 150  # the listed crops are not 120 px, so FaceCrop rescales
HIDDEN = {0: [7, 12], 1: [19]}  # sample -> AFLW points written as -1


@pytest.fixture
def aflw21(aflw21_layout):
    layout = aflw21_layout(ROWS, SIDE, HIDDEN)
    arrays, boxes = layout['arrays'], layout['boxes']
    pts21 = arrays['AFLW_GT_pts21.npy']
    # the ground truth in the listed crops' pixels, written out here
    box = boxes[:, None].astype(np.float64)
    scale = SIDE / (box[..., 2:] - box[..., :2])
    points = (pts21.transpose(0, 2, 1) - box[..., :2]) * scale
    pts68 = (arrays['AFLW_GT_pts68.npy'][:, :2].transpose(0, 2, 1) -
             box[..., :2]) * scale
    size = pts68.max(1) - pts68.min(1)
    return dict(
        root=layout['root'],
        points=points,
        # a point that was not annotated has x = -1 (its y is -1 or 452)
        visible=pts21[:, 0] != -1,
        norm=np.sqrt(size[:, 0] * size[:, 1]),
        yaw=arrays['AFLW_GT_crop_yaws.npy'])


def evaluate(aflw21, crop, offset, hidden_offset=0.0):
    """AFLW21Metric on predictions at the ground truth plus ``offset`` (2,)
    pixels (plus ``hidden_offset`` on the points that are not scored)."""
    init_default_scope('mmface3d')
    dataset = AFLW21Dataset(
        data_root=str(aflw21['root']),
        test_mode=True,
        pipeline=[
            dict(type='LoadFaceImage'), crop,
            dict(type='NormalizeFace'),
            dict(type='PackFace3DInputs')
        ])
    metric = AFLW21Metric()
    for i in range(len(dataset)):
        packed = dataset[i]
        sample = packed['data_samples']
        assert packed['inputs'].shape == (3, 120, 120)
        assert sample.gt_landmarks_2d.shape == (21, 2)
        assert sample.gt_landmarks_visible.dtype == torch.bool
        assert sample.gt_landmarks_visible.tolist() == \
            aflw21['visible'][i].tolist()
        pred = np.zeros((68, 3))
        for k, rows in AFLW21_TO_68.items():
            shift = offset if aflw21['visible'][i, k] else hidden_offset
            pred[list(rows), :2] = aflw21['points'][i, k] + shift
        sample.pred_landmarks = torch.from_numpy(pred).float()
        metric.process({}, [sample.to_dict()])
    return metric.compute_metrics(metric.results)


@pytest.mark.parametrize('crop', [
    dict(type='FaceCrop'),
    dict(type='FaceCrop', scale_jitter=0.2, shift_jitter=0.1,
         rotate_jitter=30)
])
def test_ground_truth_predictions_score_zero(aflw21, crop):
    np.random.seed(0)
    out = evaluate(aflw21, crop, np.zeros(2), hidden_offset=1000.0)
    assert out['nme_18of21_2d_all'] == pytest.approx(0, abs=1e-4)
    assert out['nme_18of21_2d_mean3'] == pytest.approx(0, abs=1e-4)


def test_known_offset(aflw21):
    """A (3, 4) px shift is a 5 px error at every scored point: the NME of a
    sample is 5 / sqrt(w h) of its 68-point box; yaw buckets 0-30 hold
    samples 0 and 3, 30-60 sample 2, 60-90 sample 1."""
    np.random.seed(0)
    out = evaluate(aflw21, dict(type='FaceCrop', rotate_jitter=20),
                   np.array([3.0, 4.0]), hidden_offset=1000.0)
    nme = 100 * 5 / aflw21['norm']
    assert np.abs(aflw21['yaw']).tolist() == pytest.approx(
        [1.04, 68.16, 50.49, 17.14], abs=0.01)
    buckets = [(nme[0] + nme[3]) / 2, nme[2], nme[1]]
    expected = {
        'all': nme.mean(),
        '0-30': buckets[0],
        '30-60': buckets[1],
        '60-90': buckets[2],
        'mean3': np.mean(buckets),
        'std3': np.std(buckets),
    }
    for name, value in expected.items():
        assert out[f'nme_18of21_2d_{name}'] == pytest.approx(
            value, rel=1e-5), name
