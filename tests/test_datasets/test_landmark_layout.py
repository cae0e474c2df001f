import numpy as np
import pytest

from mmface3d.datasets import (AFLW21_TO_68, aflw21_to_68, bbox_of_visible,
                               read_image_sizes, roi_boxes_from_landmarks)

# The 18 FLM points as (row a, row b) of the 68-point layout; a point is the
# midpoint of its two rows (REFERENCE.md section 4).
FLM_ROWS = [(17, 17), (19, 19), (21, 21), (22, 22), (24, 24), (26, 26),
            (36, 36), (37, 40), (39, 39), (42, 42), (43, 46), (45, 45),
            (31, 31), (30, 30), (35, 35), (48, 48), (62, 66), (54, 54)]


def flm(points68):
    rows = np.array(FLM_ROWS)
    return (points68[:, rows[:, 0]] + points68[:, rows[:, 1]]) / 2


def test_aflw21_to_68_slots():
    points = np.arange(21 * 2, dtype=np.float32).reshape(1, 21, 2) + 100
    visible = np.ones((1, 21), dtype=bool)
    visible[0, 2] = False  # left brow right end missing
    out, out_visible = aflw21_to_68(points, visible)
    assert out.shape == (1, 68, 2) and out_visible.shape == (1, 68)
    # 18 AFLW points fill 25 rows (eye centres take four rows, the mouth
    # centre two); the missing brow point leaves 24
    assert out_visible.sum() == 24
    assert not out_visible[0, 21] and (out[0, 21] == 0).all()
    np.testing.assert_array_equal(out[0, 30], points[0, 14])  # nose tip
    # the map's eye and mouth centres are the AFLW centres
    centres = flm(out)[0]
    np.testing.assert_array_equal(centres[7], points[0, 7])
    np.testing.assert_array_equal(centres[10], points[0, 10])
    np.testing.assert_array_equal(centres[16], points[0, 18])
    # ears and chin have no map point
    used = set(AFLW21_TO_68)
    assert used.isdisjoint({12, 16, 20}) and len(used) == 18
    with pytest.raises(ValueError, match=r'\(N, 21, 2\)'):
        aflw21_to_68(points[:, :20], visible[:, :20])


def test_aflw21_mapping_matches_the_68_annotation(data_root):
    """On AFLW2000-3D, where both layouts are annotated, every mapped AFLW
    point sits on its FLM point (median error a few % of the face size)."""
    ann = data_root / 'aflw2000_3d/annotations'
    pts21 = np.load(ann / 'AFLW2000-3D.pts21.npy').transpose(0, 2, 1)
    pts68 = np.load(ann / 'AFLW2000-3D.pts68.npy')[:, :2].transpose(0, 2, 1)
    out, visible = aflw21_to_68(pts21, ~(pts21 == -1).all(2))
    size = np.sqrt(np.prod(pts68.max(1) - pts68.min(1), axis=1))
    err = np.linalg.norm(flm(out) - flm(pts68), axis=2) / size[:, None]
    vis = flm(visible[..., None].astype(float))[..., 0] == 1
    median = np.array([np.median(err[vis[:, k], k]) for k in range(18)])
    assert (median < 0.05).all(), median


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


def test_read_image_sizes(data_root, tmp_path):
    good = data_root / 'aflw2000_3d/AFLW2000/image00002.jpg'
    garbage = tmp_path / 'garbage.jpg'
    garbage.write_bytes(b'not an image')
    sizes, reasons = read_image_sizes(
        [good, garbage, tmp_path / 'missing.jpg'])
    np.testing.assert_array_equal(sizes, [[450, 450], [0, 0], [0, 0]])
    assert reasons[0] == '' and reasons[1] and 'No such file' in reasons[2]
