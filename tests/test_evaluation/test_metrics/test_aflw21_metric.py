import numpy as np
import pytest
import torch

from mmface3d.evaluation import AFLW21Metric
from mmface3d.morphable import AFLW21_TO_68


def sample(shift, yaw, with_visible=True):
    """21 points with a 40 x 10 bbox (normaliser 20); the 68 predicted
    landmarks put every mapped AFLW point at ``gt + shift`` (multi-row
    points as the mean of their rows); the left ear is hidden."""
    gt = np.stack([np.linspace(0, 40, 21), np.linspace(0, 10, 21)], 1)
    gt[12] = [500.0, 500.0]  # hidden: would blow up the bbox if counted
    pred = np.zeros((68, 3))
    for point, rows in AFLW21_TO_68.items():
        signs = np.resize([1.0, -1.0], len(rows)) if len(rows) > 1 else [0]
        for sign, row in zip(signs, rows):
            pred[row, :2] = gt[point] + shift + sign * 2.0
    visible = np.ones(21, dtype=bool)
    visible[12] = False
    data = dict(
        img_id=0, img_path='x.jpg', yaw=yaw,
        gt_landmarks_img=torch.from_numpy(gt),
        pred_landmarks=torch.from_numpy(pred))
    if with_visible:
        data['gt_landmarks_img_visible'] = torch.from_numpy(visible)
    return data


def test_yaw_buckets_hand_computed():
    samples = [
        sample([1.2, 1.6], 10.0),  # |shift| 2: NME 10 %
        sample([2.4, 3.2], 45.0),  # 20 %
        sample([4.8, 6.4], -75.0),  # 40 %
        sample([0.0, 0.0], -20.0),  # 0 %
    ]
    metric = AFLW21Metric()
    metric.process(None, samples)
    out = metric.evaluate(len(samples))
    # the ears and chin have no 68-point counterpart: 18 of 21 scored
    name = 'aflw21/nme_18of21_2d'
    assert out[f'{name}_0-30'] == pytest.approx(5.0)
    assert out[f'{name}_30-60'] == pytest.approx(20.0)
    assert out[f'{name}_60-90'] == pytest.approx(40.0)
    assert out[f'{name}_mean3'] == pytest.approx(65 / 3)
    assert out[f'{name}_std3'] == pytest.approx(
        np.std([5.0, 20.0, 40.0]))
    assert out[f'{name}_all'] == pytest.approx(17.5)


def test_all_points_predicted_and_no_yaw():
    data = sample([1.2, 1.6], 10.0)
    pred21 = data['gt_landmarks_img'].numpy() + [1.2, 1.6]
    data['pred_21'] = torch.from_numpy(pred21)
    metric = AFLW21Metric(
        pred_indices=None, pred_key='pred_21', by_yaw=False)
    metric.process(None, [data])
    assert metric.evaluate(1) == {'aflw21/nme_21_2d_all': pytest.approx(10.0)}


def test_visibility_mask_required():
    with pytest.raises(KeyError, match='img_id=0.*gt_landmarks_img_visible'):
        AFLW21Metric().process(
            None, [sample([0, 0], 0.0, with_visible=False)])
