import numpy as np
import pytest

from mmface3d.evaluation.functional import (YAW_BUCKETS, bbox_size,
                                            format_nme_table, point_nme,
                                            summarize_by_yaw, yaw_bucket_index,
                                            zero_min_z)


def test_bbox_size_hand_computed():
    points = np.array([[[0, 0], [4, 0], [4, 9], [1, 2]]], dtype=float)
    assert bbox_size(points) == pytest.approx([6.0])  # sqrt(4 * 9)
    visible = np.array([[True, True, False, True]])
    assert bbox_size(points, visible) == pytest.approx([np.sqrt(8.0)])


def test_bbox_size_zero_area_names_sample():
    points = np.zeros((2, 3, 2))
    points[0, :, 0] = [0, 1, 2]
    points[0, :, 1] = [0, 1, 2]
    points[1, :, 0] = [0, 1, 2]  # a flat box
    with pytest.raises(ValueError, match=r'zero area.*\[17\]'):
        bbox_size(points, ids=np.array([5, 17]))


def test_point_nme_hand_computed():
    gt = np.array([[[0, 0], [10, 0], [10, 10], [0, 10]]], dtype=float)
    pred = gt + [3, 4]
    assert point_nme(pred, gt, np.array([10.0])) == pytest.approx([0.5])
    pred[0, 2] += 100  # a hidden point's error must not count
    visible = np.array([[True, True, False, True]])
    assert point_nme(pred, gt, np.array([10.0]), visible) == \
        pytest.approx([0.5])
    with pytest.raises(ValueError, match='one shape'):
        point_nme(pred[:, :3], gt, np.array([10.0]))


def test_zero_min_z():
    points = np.array([[[0, 0, 5], [1, 1, 7]], [[0, 0, -2], [1, 1, 3]]],
                      dtype=float)
    out = zero_min_z(points)
    assert out[..., 2].tolist() == [[0, 2], [0, 5]]
    assert out[..., :2].tolist() == points[..., :2].tolist()
    assert points[0, 0, 2] == 5  # input untouched


def test_yaw_bucket_boundaries():
    yaw = np.array([0, 30, 30.5, -45, 60, 60.1, -89, 95, -351])
    assert yaw_bucket_index(yaw).tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2]


def test_summarize_by_yaw_hand_computed():
    nme = np.array([1, 3, 2, 4, 8], dtype=float)
    yaw = np.array([10, -20, 45, 70, 100], dtype=float)
    out = summarize_by_yaw(nme, yaw)
    assert [out[k] for k in YAW_BUCKETS] == pytest.approx([2, 2, 6])
    assert out['mean3'] == pytest.approx(10 / 3)
    # population std of (2, 2, 6): sqrt(((4/3)^2 * 2 + (8/3)^2) / 3)
    assert out['std3'] == pytest.approx(np.sqrt(32 / 9))
    assert out['all'] == pytest.approx(18 / 5)


def test_summarize_empty_bucket_gives_nan():
    out = summarize_by_yaw(np.array([1.0, 2.0]), np.array([0.0, 45.0]))
    assert out['0-30'] == 1 and out['30-60'] == 2
    assert np.isnan(out['60-90']) and np.isnan(out['mean3'])
    assert out['all'] == pytest.approx(1.5)


@pytest.mark.parametrize('pose_file,counts', [
    ('AFLW2000-3D.pose.npy', [1312, 383, 305]),
    ('AFLW2000-3D-new.pose.npy', [1306, 462, 232]),
])
def test_reference_bucket_counts(data_root, pose_file, counts):
    yaw = np.load(data_root / 'aflw2000_3d/annotations' / pose_file)
    assert np.bincount(yaw_bucket_index(yaw)).tolist() == counts


def test_format_nme_table():
    row = dict(zip(YAW_BUCKETS + ('mean3', 'std3', 'all'),
                   [2.75, 3.44, 4.41, 3.533, 0.685, 3.1]))
    table = format_nme_table('AFLW2000-3D', {'2D': row}, [1312, 383, 305])
    lines = table.splitlines()
    assert lines[0] == 'AFLW2000-3D'
    assert lines[1].split('|')[1:-1] == [
        ' NME (%) ', ' 0 to 30 ', ' 30 to 60 ', ' 60 to 90 ', ' Mean ',
        '  Std ', '  All '
    ]
    assert [c.strip() for c in lines[3].split('|')[1:-1]] == [
        'images', '1312', '383', '305', '', '', '2000'
    ]
    assert [c.strip() for c in lines[4].split('|')[1:-1]] == [
        '2D', '2.75', '3.44', '4.41', '3.53', '0.69', '3.10'
    ]
