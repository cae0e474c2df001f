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
    data.gt_landmarks_img = torch.as_tensor(gt, dtype=torch.float32)
    data.pred_landmarks = torch.as_tensor(pred, dtype=torch.float32)
    for key, value in fields.items():
        data.set_field(torch.as_tensor(value), key)
    return data


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_hand_computed():
    gt = face_points()
    samples = [sample(gt, gt + [3.0, 4.0]), sample(gt, gt)]  # 25 % and 0 %
    metric = METRICS.build(
        dict(type='AFLWLFPAMetric', expected_num_images=None))
    assert evaluate(metric, samples) == {
        'aflw_lfpa/nme_34_2d_all': pytest.approx(12.5)
    }


def test_crop_frame_fields_are_not_ground_truth():
    """The pipeline's crop-frame points (and their mask) and the crop map
    travel in the sample too; the image-frame ground truth is what counts.
    """
    gt = face_points()
    box = np.array([90.0, 20.0, 150.0, 80.0])  # side 60: crop scale 2
    hidden = np.ones(34, dtype=bool)
    hidden[:30] = False
    data = sample(
        gt, gt + [3.0, 4.0],  # 25 %
        gt_landmarks_2d=(gt - box[:2]) * 2,
        gt_landmarks_visible=hidden,
        roi_box=box,
        crop_affine=np.array([[2.0, 0.0, -180.0], [0.0, 2.0, -40.0]]))
    out = evaluate(AFLWLFPAMetric(expected_num_images=None), [data])
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
        sample(gt_hidden, pred, gt_landmarks_img_visible=visible),
        # the dataset's normalising box wins: sqrt(40 * 40) = 40
        sample(gt, gt + [3.0, 4.0],
               gt_bbox=np.array([100.0, 50.0, 140.0, 90.0])),
    ]
    out = evaluate(
        AFLWLFPAMetric(expected_num_images=None), samples)
    assert out['aflw_lfpa/nme_34_2d_all'] == pytest.approx((25 + 12.5) / 2)


def test_pred_indices_average_rows():
    gt = face_points()
    pred68 = np.zeros((68, 3))
    pred68[:34, :2] = gt + [3.0, 4.0]
    pred68[40, :2] = gt[0] + [3.0, 4.0] + [10.0, 0.0]
    pred68[41, :2] = gt[0] + [3.0, 4.0] - [10.0, 0.0]
    indices = [[40, 41]] + list(range(1, 34))  # point 0: mean of 40 and 41
    out = evaluate(
        AFLWLFPAMetric(pred_indices=indices, expected_num_images=None),
        [sample(gt, pred68)])
    assert out['aflw_lfpa/nme_34_2d_all'] == pytest.approx(25.0)


def test_errors():
    gt = face_points()
    with pytest.raises(ValueError, match='set pred_indices'):
        AFLWLFPAMetric().process(
            None, [sample(gt, np.zeros((68, 3)))])
    metric = AFLWLFPAMetric()
    metric.process(None, [sample(gt, gt)])
    with pytest.raises(ValueError, match='1 images evaluated.*1299'):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='34 entries'):
        AFLWLFPAMetric(pred_indices=[0, 1])
    hidden = sample(gt, gt,
                    gt_landmarks_img_visible=np.zeros(34, dtype=bool))
    with pytest.raises(ValueError, match=r'img_id=0.*no visible'):
        AFLWLFPAMetric().process(None, [hidden])
    flat = sample(gt, gt, gt_bbox=np.array([100.0, 50.0, 140.0, 50.0]))
    with pytest.raises(ValueError, match=r'img_id=0.*gt_bbox.*zero area'):
        AFLWLFPAMetric().process(None, [flat])
    # a single visible point and no gt_bbox: nothing to normalise by
    one = np.zeros(34, dtype=bool)
    one[3] = True
    metric = AFLWLFPAMetric(expected_num_images=None)
    metric.process(None, [sample(gt, gt, gt_landmarks_img_visible=one)])
    with pytest.raises(ValueError, match=r'zero area.*img_id=0, img_path=a'):
        metric.evaluate(1)
