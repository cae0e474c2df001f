"""draw_landmark_maps / flm_visibility (mmface3d/morphable/landmark_map.py):
hand-computed maps, hidden points, the LandmarkMap transform on real
AFLW2000-3D crops, batched against per-sample.

(Named apart from tests/test_datasets/test_transforms/test_landmark_map.py:
the tests have no packages, so two test files may not share a basename.)
"""
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mmface3d.datasets import AFLW2000Dataset
from mmface3d.datasets.transforms import FaceCrop, LandmarkMap, LoadFaceImage
from mmface3d.morphable import draw_landmark_maps, flm_visibility

FAN_FILE = 'aflw2000_3d/annotations/fan_landmarks_crop120.txt'
# the 18 map points of REFERENCE.md section 4: one row, or the midpoint of
# two rows
FLM_ROWS = [(17, ), (19, ), (21, ), (22, ), (24, ), (26, ), (36, ),
            (37, 40), (39, ), (42, ), (43, 46), (45, ), (31, ), (30, ),
            (35, ), (48, ), (62, 66), (54, )]
HEIGHT, WIDTH = 30, 40


def plus_pixels(lmap):
    """{(row, col)} of the +1 pixels of a (H, W) map."""
    lmap = np.asarray(lmap)
    assert set(np.unique(lmap)) <= {-1.0, 1.0}
    return set(zip(*(idx.tolist() for idx in np.nonzero(lmap == 1))))


def reference_pixels(points, visible=None, height=120, width=120):
    """The +1 pixels by REFERENCE.md section 4, one point at a time."""
    pixels = set()
    for rows in FLM_ROWS:
        if visible is not None and not all(visible[r] for r in rows):
            continue
        x = sum(points[r][0] for r in rows) / len(rows)
        y = sum(points[r][1] for r in rows) / len(rows)
        pixels.add((min(max(math.floor(y), 1), height - 1),
                    min(max(math.floor(x), 1), width - 1)))
    return pixels


def hand_points():
    """68 points, all at (5.5, 7.9) (pixel row 7, col 5) but for four."""
    points = torch.tensor([5.5, 7.9]).repeat(68, 1)
    points[17] = torch.tensor([-3.0, 100.0])  # clipped: row 29, col 1
    points[30] = torch.tensor([39.99, 0.2])  # row 0 -> 1, col 39
    points[37] = torch.tensor([10.0, 10.0])  # midpoint of 37 / 40:
    points[40] = torch.tensor([13.0, 15.0])  # (11.5, 12.5): row 12, col 11
    points[54] = torch.tensor([5.9, 7.1])  # the pixel of the others
    return points


HAND_PIXELS = {(7, 5), (29, 1), (1, 39), (12, 11)}


def test_hand_computed_map():
    lmap = draw_landmark_maps(hand_points()[None], None, HEIGHT, WIDTH)
    assert lmap.shape == (1, HEIGHT, WIDTH)
    assert lmap.dtype == torch.float32
    assert plus_pixels(lmap[0]) == HAND_PIXELS
    assert (lmap == -1).sum() == HEIGHT * WIDTH - len(HAND_PIXELS)
    # a z column is ignored, the dtype follows the points
    points3d = torch.cat([hand_points(), torch.randn(68, 1)], 1).double()
    lmap3d = draw_landmark_maps(points3d[None], None, HEIGHT, WIDTH)
    assert lmap3d.dtype == torch.float64
    assert plus_pixels(lmap3d[0]) == HAND_PIXELS


def test_map_carries_no_gradient():
    points = hand_points()[None].requires_grad_()
    lmap = draw_landmark_maps(points, None, HEIGHT, WIDTH)
    assert not lmap.requires_grad


@pytest.mark.parametrize(
    'hidden, gone',
    [((), set()),
     ((0, 8, 67), set()),  # rows the map does not read
     ((17, ), {(29, 1)}),
     ((40, ), {(12, 11)}),  # a midpoint needs both of its rows
     ((37, ), {(12, 11)}),
     ((30, ), {(1, 39)}),
     ((54, ), set()),  # its pixel is still drawn by other points
     (tuple(range(68)), HAND_PIXELS)])
def test_hidden_points_are_not_drawn(hidden, gone):
    visible = torch.ones(1, 68, dtype=torch.bool)
    visible[0, list(hidden)] = False
    lmap = draw_landmark_maps(hand_points()[None], visible, HEIGHT, WIDTH)
    assert plus_pixels(lmap[0]) == HAND_PIXELS - gone
    assert plus_pixels(lmap[0]) == reference_pixels(
        hand_points().tolist(), visible[0].tolist(), HEIGHT, WIDTH)


def test_flm_visibility():
    assert flm_visibility(None) is None
    visible = torch.ones(2, 68, dtype=torch.bool)
    visible[0, 40] = False  # eye centre (map point 7)
    visible[0, 17] = False  # brow end (map point 0)
    visible[1, 66] = False  # mouth centre (map point 16)
    visible[1, 60] = False  # not a map row
    want = torch.tensor([[all(visible[b, r] for r in rows)
                          for rows in FLM_ROWS] for b in range(2)])
    got = flm_visibility(visible)
    assert got.dtype == torch.bool and got.shape == (2, 18)
    assert torch.equal(got, want)
    assert (~got).nonzero().tolist() == [[0, 0], [0, 7], [1, 16]]


def test_batched_equals_per_sample(device):
    gen = torch.Generator().manual_seed(0)
    points = torch.rand(6, 68, 2, generator=gen) * 140 - 10
    visible = torch.rand(6, 68, generator=gen) > 0.2
    visible[0] = True
    batched = draw_landmark_maps(points.to(device), visible.to(device), 120,
                                 120)
    assert batched.device.type == device.type
    for i in range(6):
        single = draw_landmark_maps(points[i:i + 1].to(device),
                                    visible[i:i + 1].to(device), 120, 120)
        assert torch.equal(batched[i], single[0]), i
        assert plus_pixels(batched[i].cpu()) == reference_pixels(
            points[i].tolist(), visible[i].tolist())
    unmasked = draw_landmark_maps(points, None, 120, 120)
    assert torch.equal(
        unmasked, draw_landmark_maps(points, torch.ones(6, 68, dtype=bool),
                                     120, 120))


def test_shape_errors():
    for shape in ((68, 2), (1, 21, 2), (1, 68, 1)):
        with pytest.raises(ValueError, match=r'\(B, 68, 2\+\)'):
            draw_landmark_maps(torch.zeros(shape))


def test_equals_the_transform_on_aflw2000_crops(data_root):
    """FAN points of the released 120x120 crops, through FaceCrop: the
    transform's map is this function's map and the reference's pixels,
    with and without hidden points."""
    dataset = AFLW2000Dataset(
        input_landmarks=FAN_FILE,
        indices=3,
        pipeline=[LoadFaceImage(), FaceCrop(crop_size=120)])
    fan = {}
    for line in (data_root / FAN_FILE).read_text().splitlines()[:3]:
        fields = line.split(',')
        fan[fields[0]] = np.array(fields[1:], float).reshape(68, 2)
    for i in range(3):
        results = dataset[i]
        points = np.asarray(results['landmarks_2d_input'], np.float64)
        assert results['img'].shape[:2] == (120, 120)
        # the crop is the released one: FAN's own crop-frame points
        name = Path(results['img_path']).name
        np.testing.assert_allclose(points, fan[name], atol=1e-3)
        for hidden in ((), (36, 37, 62)):
            visible = np.ones(68, bool)
            visible[list(hidden)] = False
            given = dict(results, landmarks_2d_input_visible=visible)
            lmap = LandmarkMap()(given)['landmark_map']
            drawn = draw_landmark_maps(
                torch.from_numpy(points[None]),
                torch.from_numpy(visible[None]))[0]
            np.testing.assert_array_equal(lmap, drawn.numpy())
            assert plus_pixels(lmap) == reference_pixels(
                points.tolist(), visible.tolist())
            assert len(plus_pixels(lmap)) >= 18 - 2 * len(hidden) - 2
