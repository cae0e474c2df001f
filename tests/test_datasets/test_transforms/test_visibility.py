"""Visibility masks: checked against their points, hidden rows zeroed."""
import numpy as np
import pytest

from mmface3d.datasets.transforms.face_data_error import FaceDataError
from mmface3d.datasets.transforms.visibility import (read_visibility,
                                                     zero_hidden)


def test_read_visibility():
    points = np.ones((21, 2), np.float32)
    mask = np.arange(21) % 3 > 0
    results = dict(gt_landmarks_2d=points, gt_landmarks_visible=mask)
    np.testing.assert_array_equal(
        read_visibility(results, 'gt_landmarks_2d'), mask)
    assert read_visibility(dict(gt_landmarks_2d=points),
                           'gt_landmarks_2d') is None
    assert read_visibility(dict(results, gt_landmarks_3d=points),
                           'gt_landmarks_3d') is None
    with pytest.raises(FaceDataError, match=r'a\.jpg.*gt_landmarks_visible'
                       r'.*\(21,\) bool'):
        read_visibility(
            dict(results, gt_landmarks_visible=mask[:20], img_path='a.jpg'),
            'gt_landmarks_2d')
    with pytest.raises(FaceDataError, match=r'landmarks_2d_input_visible.*'
                       r'\(68,\) bool'):
        read_visibility(
            dict(landmarks_2d_input=np.zeros((68, 2)),
                 landmarks_2d_input_visible=np.ones(68)),
            'landmarks_2d_input')


def test_zero_hidden():
    points = np.arange(8, dtype=np.float32).reshape(4, 2) + 1
    results = dict(landmarks_2d_input=points.copy(),
                   landmarks_2d_input_visible=np.array([1, 0, 1, 0], bool))
    zero_hidden(results, 'landmarks_2d_input')
    np.testing.assert_array_equal(results['landmarks_2d_input'],
                                  [[1, 2], [0, 0], [5, 6], [0, 0]])
    untouched = dict(landmarks_2d_input=points.copy())
    zero_hidden(untouched, 'landmarks_2d_input')
    np.testing.assert_array_equal(untouched['landmarks_2d_input'], points)
