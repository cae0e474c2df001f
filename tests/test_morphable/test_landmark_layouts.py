"""The 68-point index tables: mirror permutation and the 18 FLM points."""
import numpy as np
import pytest
import torch

from mmface3d.morphable import (AFLW21_TO_68, FLIP_INDICES_21, FLIP_INDICES_68,
                                FLM_WEIGHTS, aflw21_to_68, select_flm_points)

# The 18 FLM points as (row a, row b) of the 68-point layout; a point is the
# midpoint of its two rows (REFERENCE.md section 4).
FLM_ROWS = [(17, 17), (19, 19), (21, 21), (22, 22), (24, 24), (26, 26),
            (36, 36), (37, 40), (39, 39), (42, 42), (43, 46), (45, 45),
            (31, 31), (30, 30), (35, 35), (48, 48), (62, 66), (54, 54)]


def test_flip_indices_is_an_involution():
    assert sorted(FLIP_INDICES_68) == list(range(68))
    np.testing.assert_array_equal(FLIP_INDICES_68[FLIP_INDICES_68],
                                  np.arange(68))
    pairs = {0: 16, 8: 8, 17: 26, 21: 22, 27: 27, 30: 30, 31: 35, 33: 33,
             36: 45, 37: 44, 39: 42, 40: 47, 41: 46, 48: 54, 51: 51, 57: 57,
             59: 55, 60: 64, 62: 62, 66: 66, 67: 65}
    for i, j in pairs.items():
        assert FLIP_INDICES_68[i] == j and FLIP_INDICES_68[j] == i


def test_flip_indices_21_pairs_the_aflw_points():
    # brows 0-2 | 3-5, eyes 6-8 | 9-11, ears 12 | 16, nose 13 14 15,
    # mouth 17 18 19, chin 20 (AFLW21_NAMES)
    expected = [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 16, 15, 14, 13, 12,
                19, 18, 17, 20]
    np.testing.assert_array_equal(FLIP_INDICES_21, expected)
    # the points that sit in one 68-point row mirror as those rows do
    for k, rows in AFLW21_TO_68.items():
        mirror_rows = AFLW21_TO_68[FLIP_INDICES_21[k]]
        if len(rows) == 1:
            assert FLIP_INDICES_68[rows[0]] == mirror_rows[0], k


def test_select_flm_points_numpy_and_torch():
    # landmark i sits at (i, 100 + i): midpoints are easy to write down
    pts = np.stack([np.arange(68.), 100 + np.arange(68.)], 1)
    expected_x = [17, 19, 21, 22, 24, 26, 36, (37 + 40) / 2, 39, 42,
                  (43 + 46) / 2, 45, 31, 30, 35, 48, (62 + 66) / 2, 54]
    expected = np.stack([expected_x, 100 + np.array(expected_x)], 1)
    np.testing.assert_allclose(select_flm_points(pts), expected)
    batch = torch.from_numpy(np.stack([pts, pts + 1]))[None]  # (1, 2, 68, 2)
    out = select_flm_points(batch)
    assert isinstance(out, torch.Tensor) and out.shape == (1, 2, 18, 2)
    torch.testing.assert_close(out[0, 1], torch.from_numpy(expected + 1))


def test_flm_weights_4_2_1():
    # nose tip (FLM point 13 = landmark 30) and mouth centre (16): highest;
    # eye centres (7, 10) and mouth corners (15 = 48, 17 = 54): medium
    assert FLM_WEIGHTS.shape == (18, )
    high = {13, 16}
    medium = {7, 10, 15, 17}
    for i, w in enumerate(FLM_WEIGHTS):
        assert w == (4 if i in high else 2 if i in medium else 1)


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
