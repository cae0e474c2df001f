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


def test_detector_roi_box_rule_by_hand():
    from mmface3d.morphable import detector_roi_box

    # box 100..200 x 200..260 (score column ignored): mean side (100+60)/2
    # = 80, centre (150, 230) moved 0.14 * 80 = 11.2 down to (150, 241.2),
    # side 1.58 * 80 = 126.4
    box = detector_roi_box(np.array([[100.0, 200.0, 200.0, 260.0, 0.9]]))
    np.testing.assert_allclose(box, [[86.8, 178.0, 213.2, 304.4]])
    # other factors: a square box of side 10 at the origin, scale 2, no shift
    np.testing.assert_allclose(
        detector_roi_box(np.array([[0.0, 0.0, 10.0, 10.0]]), 2.0, 0.0),
        [[-5.0, -5.0, 15.0, 15.0]])
    with pytest.raises(ValueError, match='x1 > x0'):
        detector_roi_box(np.array([[10.0, 0.0, 5.0, 10.0]]))
    with pytest.raises(ValueError, match=r'\(B, 4\+\)'):
        detector_roi_box(np.zeros(4))
