"""The 68-point index tables: mirror permutation and the 18 FLM points."""
import numpy as np
import torch

from mmface3d.datasets.landmark_layout import AFLW21_TO_68
from mmface3d.datasets.transforms.landmark_points import (FLIP_INDICES_21,
                                                          FLIP_INDICES_68,
                                                          FLM_WEIGHTS,
                                                          select_flm_points)


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
