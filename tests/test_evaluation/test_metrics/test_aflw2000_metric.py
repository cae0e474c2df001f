import shutil

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmface3d.evaluation import AFLW2000Metric
from mmface3d.evaluation.functional import SUMMARY_KEYS
from mmface3d.registry import METRICS
from mmface3d.structures import Face3DDataSample


def run(metric, samples, batch_size=64):
    for start in range(0, len(samples), batch_size):
        metric.process(None, samples[start:start + batch_size])
    return metric.evaluate(len(samples))


def known_error_predictions(gt, yaw):
    """Move every point of image i by c_i * sqrt(w_i * h_i) in the image
    plane (direction (0.6, 0.8)), so that its NME is exactly c_i, with
    c = 1 %, 2 %, 4 % in the three yaw buckets."""
    size = np.sqrt(np.prod(gt[..., :2].max(1) - gt[..., :2].min(1), 1))
    abs_yaw = np.abs(yaw)
    c = np.where(abs_yaw <= 30, 0.01, np.where(abs_yaw <= 60, 0.02, 0.04))
    shift = np.zeros(3)
    shift[:2] = [0.6, 0.8]
    pred = np.zeros(gt.shape[:2] + (3, ))
    pred[..., :gt.shape[2]] = gt
    return (pred + (c * size)[:, None, None] * shift).astype(np.float32)


def test_gt_params_give_the_truncation_floor(aflw_ann, gt_predictions,
                                             make_samples):
    """The 40 + 10 ground-truth params reproduce pt3d_68 at 0.92 % NME over
    all 2000 images (REFERENCE.md section 3)."""
    metric = METRICS.build(dict(type='AFLW2000Metric'))
    out = run(metric,
              make_samples(range(2000), aflw_ann['names'],
                           pred_landmarks=gt_predictions['landmarks']))
    assert set(out) == {
        f'aflw2000/nme_68_{dim}_{key}'
        for dim in ('2d', '3d') for key in SUMMARY_KEYS
    }
    assert 0.91 <= out['aflw2000/nme_68_2d_all'] <= 0.93
    # the 3D error adds depth errors to the 2D ones
    assert out['aflw2000/nme_68_3d_all'] > out['aflw2000/nme_68_2d_all']


def test_known_errors_per_yaw_bucket(aflw_ann, make_samples):
    pred = known_error_predictions(aflw_ann['landmarks'], aflw_ann['yaw'])
    pred[..., 2] += 50.0  # a depth offset must not count in 3D
    out = run(AFLW2000Metric(),
              make_samples(range(2000), aflw_ann['names'],
                           pred_landmarks=pred))
    for dim in ('2d', '3d'):
        name = f'aflw2000/nme_68_{dim}'
        assert out[f'{name}_0-30'] == pytest.approx(1.0)
        assert out[f'{name}_30-60'] == pytest.approx(2.0)
        assert out[f'{name}_60-90'] == pytest.approx(4.0)
        assert out[f'{name}_mean3'] == pytest.approx(7 / 3)
        assert out[f'{name}_std3'] == pytest.approx(np.sqrt(42 / 27))
        # 1312 / 383 / 305 images, the |yaw| > 90 ones in the last bucket
        assert out[f'{name}_all'] == pytest.approx(
            (1312 * 1 + 383 * 2 + 305 * 4) / 2000)


def test_reannotated_1998(data_root, aflw_ann, make_samples):
    metric = AFLW2000Metric(gt='re', subset='1998')
    gt = metric.ann['landmarks']
    assert gt.shape == (2000, 68, 2)
    pred = known_error_predictions(gt, aflw_ann['yaw'])
    # all 2000 are processed; ids 1081 (yaw 2.4) and 1798 (yaw 76) drop out
    out = run(metric,
              make_samples(range(2000), aflw_ann['names'],
                           pred_landmarks=pred))
    assert set(out) == {f'aflw1998/nme_68_2d_re_{k}' for k in SUMMARY_KEYS}
    assert out['aflw1998/nme_68_2d_re_all'] == pytest.approx(
        (1311 * 1 + 383 * 2 + 304 * 4) / 1998)


def test_nan_prediction_names_the_image(aflw_ann, make_samples):
    pred = np.zeros((2000, 68, 3), np.float32)
    pred[12, 3, 1] = np.nan
    samples = make_samples([11, 12], aflw_ann['names'], pred_landmarks=pred)
    name = aflw_ann['names'][12].replace('.', r'\.')
    with pytest.raises(ValueError,
                       match=rf'img_id=12, img_path=.*{name}.*NaN'):
        AFLW2000Metric().process(None, samples)


def test_bad_img_id_and_path(aflw_ann, make_samples):
    pred = np.zeros((2001, 68, 3), np.float32)
    metric = AFLW2000Metric()
    with pytest.raises(ValueError, match=r'img_id 2000 is outside'):
        metric.process(None, make_samples([2000], pred_landmarks=pred))
    sample = make_samples([3], aflw_ann['names'], pred_landmarks=pred)[0]
    sample['img_path'] = 'crops/image00002.jpg'
    with pytest.raises(ValueError, match=r'does not match entry 3'):
        metric.process(None, [sample])


def test_missing_images(aflw_ann, make_samples):
    samples = make_samples([0, 3, 5], aflw_ann['names'],  # all |yaw| < 30
                           pred_landmarks=aflw_ann['landmarks'])
    with pytest.raises(ValueError, match=r'1997 of 2000 images were not'):
        run(AFLW2000Metric(), samples)
    out = run(AFLW2000Metric(allow_partial=True), samples)
    assert out['aflw2000/nme_68_2d_all'] == 0.0
    assert np.isnan(out['aflw2000/nme_68_2d_30-60'])  # empty buckets
    assert np.isnan(out['aflw2000/nme_68_2d_mean3'])
    with pytest.raises(ValueError, match=r'more than once.*\[3\]'):
        run(AFLW2000Metric(allow_partial=True), samples + samples[1:2])


def test_evaluator_and_data_samples(aflw_ann):
    """Samples as Face3DDataSample objects, directly and through mmengine's
    Evaluator (which hands metrics their to_dict() form)."""
    ids = [0, 1, 2, 3]
    pred = known_error_predictions(aflw_ann['landmarks'], aflw_ann['yaw'])
    samples = []
    for i in ids:
        sample = Face3DDataSample(
            metainfo=dict(img_id=i, img_path=aflw_ann['names'][i]))
        sample.pred_landmarks = torch.from_numpy(pred[i])
        samples.append(sample)
    yaw = np.abs(aflw_ann['yaw'][ids])
    expected = 100 * np.mean(
        np.where(yaw <= 30, 0.01, np.where(yaw <= 60, 0.02, 0.04)))
    evaluator = Evaluator(AFLW2000Metric(allow_partial=True))
    evaluator.process(data_samples=samples, data_batch=None)
    out = evaluator.evaluate(len(samples))
    assert out['aflw2000/nme_68_2d_all'] == pytest.approx(expected)
    metric = AFLW2000Metric(allow_partial=True)
    metric.process(None, samples)
    assert metric.evaluate(4)['aflw2000/nme_68_2d_all'] == \
        pytest.approx(expected)


def test_pose_file_of_wrong_length(data_root, tmp_path):
    ann = data_root / 'aflw2000_3d/annotations'
    for name in ('AFLW2000-3D.list', 'AFLW2000-3D.pts68.npy'):
        shutil.copy(ann / name, tmp_path / name)
    np.save(tmp_path / 'AFLW2000-3D.pose.npy',
            np.load(ann / 'AFLW2000-3D.pose.npy')[:-2])
    with pytest.raises(ValueError, match=r'AFLW2000-3D\.pose\.npy.*\(1998,'):
        AFLW2000Metric(ann_root=str(tmp_path))


def test_bad_subset():
    with pytest.raises(ValueError, match="'2000' or '1998'"):
        AFLW2000Metric(subset='1999')
