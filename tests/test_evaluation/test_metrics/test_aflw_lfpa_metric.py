import numpy as np
import pytest
import torch

from mmface3d.evaluation import AFLWLFPAMetric
from mmface3d.registry import METRICS
from mmface3d.structures import Face3DDataSample


def face_points(k=34):
    """k points whose bbox is 40 x 10: normaliser sqrt(40 * 10) = 20."""
    return np.stack([np.linspace(0, 40, k), np.linspace(0, 10, k)],
                    1) + [100.0, 50.0]


def sample(gt, pred, **fields):
    data = Face3DDataSample(metainfo=dict(img_id=0, img_path='a.jpg'))
    data.gt_landmarks_2d = torch.as_tensor(gt, dtype=torch.float32)
    data.pred_landmarks = torch.as_tensor(pred, dtype=torch.float32)
    for key, value in fields.items():
        data.set_field(torch.as_tensor(value), key)
    return data


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_image_frame_hand_computed():
    gt = face_points()
    samples = [sample(gt, gt + [3.0, 4.0]), sample(gt, gt)]  # 25 % and 0 %
    metric = METRICS.build(
        dict(type='AFLWLFPAMetric', gt_frame='image',
             expected_num_images=None))
    assert evaluate(metric, samples) == {
        'aflw_lfpa/nme_34_2d_all': pytest.approx(12.5)
    }


def test_crop_frame_via_roi_box_and_affine():
    gt = face_points()
    pred = gt + [3.0, 4.0]  # 25 %
    box = np.array([90.0, 20.0, 150.0, 80.0])  # side 60: crop scale 2
    by_box = sample((gt - box[:2]) * 2, pred, roi_box=box)
    # a rotated, anisotropic crop: crop = A img + b
    c, s = np.cos(0.3), np.sin(0.3)
    linear = np.array([[c, -s], [s, c]]) @ np.diag([1.5, 2.5])
    affine = np.concatenate([linear, [[7.0], [-3.0]]], 1)
    by_affine = sample(gt @ linear.T + affine[:, 2], pred, crop_affine=affine)
    out = evaluate(AFLWLFPAMetric(expected_num_images=None),
                   [by_box, by_affine])
    assert out['aflw_lfpa/nme_34_2d_all'] == pytest.approx(25.0)


def test_visibility_and_gt_bbox():
    gt = face_points()
    pred = gt + [3.0, 4.0]
    visible = np.ones(34, dtype=bool)
    gt_hidden = gt.copy()
    gt_hidden[5] = [1000.0, 1000.0]  # a hidden point: no error, no bbox
    pred[5] = [0.0, 0.0]
    visible[5] = False
    samples = [
        sample(gt_hidden, pred, gt_landmarks_visible=visible),
        # the dataset's normalising box wins: sqrt(40 * 40) = 40
        sample(gt, gt + [3.0, 4.0],
               gt_bbox=np.array([100.0, 50.0, 140.0, 90.0])),
    ]
    out = evaluate(
        AFLWLFPAMetric(gt_frame='image', expected_num_images=None), samples)
    assert out['aflw_lfpa/nme_34_2d_all'] == pytest.approx((25 + 12.5) / 2)


def test_pred_indices_average_rows():
    gt = face_points()
    pred68 = np.zeros((68, 3))
    pred68[:34, :2] = gt + [3.0, 4.0]
    pred68[40, :2] = gt[0] + [3.0, 4.0] + [10.0, 0.0]
    pred68[41, :2] = gt[0] + [3.0, 4.0] - [10.0, 0.0]
    indices = [[40, 41]] + list(range(1, 34))  # point 0: mean of 40 and 41
    out = evaluate(
        AFLWLFPAMetric(
            pred_indices=indices, gt_frame='image',
            expected_num_images=None), [sample(gt, pred68)])
    assert out['aflw_lfpa/nme_34_2d_all'] == pytest.approx(25.0)


def test_errors():
    gt = face_points()
    with pytest.raises(ValueError, match='set pred_indices'):
        AFLWLFPAMetric(gt_frame='image').process(
            None, [sample(gt, np.zeros((68, 3)))])
    metric = AFLWLFPAMetric(gt_frame='image')
    metric.process(None, [sample(gt, gt)])
    with pytest.raises(ValueError, match='1 images evaluated.*1299'):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='34 entries'):
        AFLWLFPAMetric(pred_indices=[0, 1])
    with pytest.raises(ValueError, match="'crop' or 'image'"):
        AFLWLFPAMetric(gt_frame='world')
    hidden = sample(gt, gt, gt_landmarks_visible=np.zeros(34, dtype=bool))
    with pytest.raises(ValueError, match=r'img_id=0.*no visible'):
        AFLWLFPAMetric(gt_frame='image').process(None, [hidden])
    flat = sample(gt, gt, gt_bbox=np.array([100.0, 50.0, 140.0, 50.0]))
    with pytest.raises(ValueError, match=r'img_id=0.*gt_bbox.*zero area'):
        AFLWLFPAMetric(gt_frame='image').process(None, [flat])
    # a single visible point and no gt_bbox: nothing to normalise by
    one = np.zeros(34, dtype=bool)
    one[3] = True
    metric = AFLWLFPAMetric(gt_frame='image', expected_num_images=None)
    metric.process(None, [sample(gt, gt, gt_landmarks_visible=one)])
    with pytest.raises(ValueError, match=r'zero area.*img_id=0, img_path=a'):
        metric.evaluate(1)
