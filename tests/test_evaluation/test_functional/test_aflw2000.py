import numpy as np
import pytest

from mmface3d.evaluation.functional import (aflw2000_landmark_nme,
                                            select_aflw2000_subset)
from mmface3d.structures import AFLW1998_EXCLUDED, aflw2000_subset_ids

ANN = 'aflw2000_3d/annotations'


def test_1998_drops_the_two_fan_failures(data_root):
    """The two lines of the FAN file that hold only a number are the failed
    detections; the numbers are the 0-based ids of their own lines."""
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    lines = (data_root / ANN / 'fan_landmarks_crop120.txt').read_text(
    ).splitlines()
    failed = [i for i, line in enumerate(lines) if ',' not in line]
    assert failed == [int(lines[i]) for i in failed]
    assert tuple(failed) == AFLW1998_EXCLUDED
    assert [names[i] for i in failed] == ['image02139.jpg', 'image03862.jpg']
    ids = aflw2000_subset_ids('1998')
    assert len(ids) == 1998 and not np.isin(failed, ids).any()
    assert len(aflw2000_subset_ids(2000)) == 2000
    with pytest.raises(ValueError, match="'2000' or '1998'"):
        aflw2000_subset_ids('1999')


def test_select_subset():
    ids = np.array([5, 1081, 0, 1798])
    rows = select_aflw2000_subset(ids, '1998', allow_partial=True)
    assert ids[rows].tolist() == [0, 5]
    rows = select_aflw2000_subset(ids, '2000', allow_partial=True)
    assert ids[rows].tolist() == [0, 5, 1081, 1798]
    with pytest.raises(ValueError, match=r'1996 of 1998 images.*allow_part'):
        select_aflw2000_subset(ids, '1998')
    with pytest.raises(ValueError, match=r'more than once.*\[5\]'):
        select_aflw2000_subset(np.array([5, 5]), allow_partial=True)
    with pytest.raises(ValueError, match=r'\[2000\] outside'):
        select_aflw2000_subset(np.array([2000]), allow_partial=True)
    with pytest.raises(ValueError, match='no image of AFLW1998'):
        select_aflw2000_subset(np.array([1081]), '1998', allow_partial=True)
    full = np.arange(2000)[::-1]
    assert full[select_aflw2000_subset(full)].tolist() == list(range(2000))


def test_landmark_nme_hand_computed():
    gt = np.zeros((1, 68, 3))
    gt[0, :, 0] = np.linspace(0, 40, 68)  # bbox 40 x 10: normaliser 20
    gt[0, :, 1] = np.linspace(0, 10, 68)
    gt[0, :, 2] = np.linspace(5, 50, 68)
    pred = gt + [3.0, 4.0, 0.0]
    assert aflw2000_landmark_nme(pred, gt, '2d') == pytest.approx([0.25])
    # 3D: z shifted to min 0 on both sides, so a z offset does not count
    assert aflw2000_landmark_nme(pred + [0, 0, 100.0], gt, '3d') == \
        pytest.approx([0.25])
    pred[0, :, 2] += np.where(np.arange(68) < 34, 0.0, 12.0)
    # half the points move 12 px more in z: 3D error 13 there, 5 elsewhere
    assert aflw2000_landmark_nme(pred, gt, '3d') == pytest.approx([0.45])
    with pytest.raises(ValueError, match='3D NME needs'):
        aflw2000_landmark_nme(pred, gt[..., :2], '3d')
    with pytest.raises(ValueError, match="'2d' or '3d'"):
        aflw2000_landmark_nme(pred, gt, 'z')


def test_samples_carry_the_annotation(data_root, aflw_gt, aflw_gt_re):
    """The ground truth the dataset attaches to samples is the released
    annotation, row i for image id i."""
    raw = np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy')
    assert np.array_equal(aflw_gt['landmarks'], raw.transpose(0, 2, 1))
    raw = np.load(data_root / ANN / 'AFLW2000-3D-Reannotated.pts68.npy')
    assert np.array_equal(aflw_gt_re['landmarks'], raw.transpose(0, 2, 1))
    yaw = np.load(data_root / ANN / 'AFLW2000-3D.pose.npy')
    assert np.allclose(aflw_gt['yaw'], yaw)


def test_gt_params_floor_per_image(aflw_gt, gt_predictions):
    """REFERENCE.md section 3: the 40 + 10 params, converted into the
    per-axis frame of the released boxes, reproduce pt3d_68 at 0.880 % mean
    2D NME over the 2000 images, 2.61 % on the worst one."""
    nme = 100 * aflw2000_landmark_nme(gt_predictions['landmarks'],
                                      aflw_gt['landmarks'])
    assert nme.shape == (2000, )
    assert nme.mean() == pytest.approx(0.880, abs=1e-3)
    assert nme.max() == pytest.approx(2.61, abs=5e-3)
