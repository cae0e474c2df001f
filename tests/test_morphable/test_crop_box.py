"""The benchmark crop-box rule and boxes of visible points."""
import numpy as np
import pytest

from mmface3d.morphable import (bbox_of_visible, benchmark_roi_box,
                                roi_boxes_from_landmarks)

ANN = 'aflw2000_3d/annotations'


def test_roi_boxes_reproduce_released_boxes(data_root):
    ann = data_root / 'aflw2000_3d/annotations'
    pts68 = np.load(ann / 'AFLW2000-3D.pts68.npy')[:, :2].transpose(0, 2, 1)
    released = np.load(ann / 'AFLW2000-3D_crop.roi_box.npy')
    boxes = roi_boxes_from_landmarks(pts68, np.ones(pts68.shape[:2], bool),
                                     np.full((len(pts68), 2), 450))
    np.testing.assert_array_equal(boxes, released)


def test_hidden_points_do_not_move_boxes():
    points = np.array([[[10, 20], [50, 60], [1000, -500]]], dtype=np.float32)
    visible = np.array([[True, True, False]])
    np.testing.assert_array_equal(
        bbox_of_visible(points, visible), [[10, 20, 50, 60]])
    box = roi_boxes_from_landmarks(points, visible, np.array([[200, 200]]))
    # square of side 40 around (30, 40), enlarged to its diagonal 56.57
    np.testing.assert_array_equal(box, [[2, 12, 59, 69]])
    with pytest.raises(ValueError, match='visible'):
        bbox_of_visible(points, np.zeros((1, 3), bool))


def test_benchmark_roi_box_reproduces_release(data_root):
    pts = np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy')
    released = np.load(data_root / ANN / 'AFLW2000-3D_crop.roi_box.npy')
    np.testing.assert_array_equal(benchmark_roi_box(pts, 450, 450), released)


def test_benchmark_roi_box_rule_by_hand():
    # bbox 100..140 x 100..120: side 40, crop side 40 * sqrt(2) = 56.57
    pts = np.array([[[100.0, 140.0, 120.0], [100.0, 120.0, 110.0]]])
    box = benchmark_roi_box(pts, 450, 450)
    np.testing.assert_array_equal(box, [[92, 82, 149, 139]])
    with pytest.raises(ValueError, match=r'\(B, 2\+, K\)'):
        benchmark_roi_box(np.zeros((68, 2)), 450, 450)
