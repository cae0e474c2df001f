"""The facial landmark map, checked on the released FAN points and on
masked 21-point lists."""
import math

import numpy as np
import pytest

from mmface3d.datasets.transforms import LandmarkMap
from mmface3d.datasets.transforms.face_data_error import FaceDataError
from mmface3d.morphable.landmark_layouts import aflw21_to_68

FAN_FILE = 'aflw2000_3d/annotations/fan_landmarks_crop120.txt'


def read_fan_points(path):
    """name -> (68, 2) points; index-only lines (detector failures) skipped.
    """
    points = {}
    for line in path.read_text().splitlines():
        fields = line.strip().split(',')
        if len(fields) == 1:
            continue
        assert len(fields) == 137, line[:40]
        points[fields[0]] = np.array(fields[1:], dtype=np.float64).reshape(
            68, 2)
    return points


def expected_pixels(pts):
    """The +1 pixels written out from REFERENCE.md section 4."""
    def mid(a, b):
        return (pts[a] + pts[b]) / 2

    chosen = [pts[17], pts[19], pts[21], pts[22], pts[24], pts[26],
              pts[36], mid(37, 40), pts[39], pts[42], mid(43, 46), pts[45],
              pts[31], pts[30], pts[35], pts[48], mid(62, 66), pts[54]]
    pixels = set()
    for x, y in chosen:
        row = min(max(math.floor(y), 1), 119)
        col = min(max(math.floor(x), 1), 119)
        pixels.add((row, col))
    return pixels


def test_landmark_map_on_fan_points(data_root):
    fan = read_fan_points(data_root / FAN_FILE)
    assert len(fan) == 1998
    transform = LandmarkMap()
    shared = 0
    for name, pts in fan.items():
        out = transform(dict(img=np.zeros((120, 120, 3), np.uint8),
                             landmarks_2d_input=pts, img_path=name))
        lmap = out['landmark_map']
        assert lmap.shape == (120, 120) and lmap.dtype == np.float32
        assert set(np.unique(lmap)) <= {-1.0, 1.0}
        got = set(zip(*np.nonzero(lmap == 1)))
        want = expected_pixels(pts)
        assert got == want, name
        shared += len(want) < 18
    # two points share a pixel on some profile faces
    assert 0 < shared < 0.1 * len(fan)


def test_landmark_map_clips_and_jitters():
    pts = np.full((68, 2), 60.0)
    pts[17] = [-5.0, 130.0]  # outside: clipped to row 119, col 1
    out = LandmarkMap()(dict(img=np.zeros((120, 120, 3)),
                             landmarks_2d_input=pts))
    assert out['landmark_map'][119, 1] == 1
    assert out['landmark_map'][60, 60] == 1
    assert (out['landmark_map'] == 1).sum() == 2
    np.random.seed(0)
    noisy = LandmarkMap(sigma=3.0)(dict(img=np.zeros((120, 120, 3)),
                                        landmarks_2d_input=pts.copy()))
    assert (noisy['landmark_map'] == 1).sum() > 2
    np.testing.assert_array_equal(noisy['landmarks_2d_input'], pts)


def test_landmark_map_errors():
    with pytest.raises(KeyError, match='landmarks_2d_input'):
        LandmarkMap()(dict(img=np.zeros((120, 120, 3))))
    pts = np.zeros((68, 2))
    pts[30] = np.nan
    with pytest.raises(FaceDataError, match='a.jpg.*NaN'):
        LandmarkMap()(dict(img=np.zeros((120, 120, 3)),
                           landmarks_2d_input=pts, img_path='a.jpg'))
    with pytest.raises(FaceDataError, match=r'\(68, 2\)'):
        LandmarkMap()(dict(img=np.zeros((120, 120, 3)),
                           landmarks_2d_input=np.zeros((21, 2))))
    assert repr(LandmarkMap(sigma=1.0)) == \
        "LandmarkMap(key='landmarks_2d_input', sigma=1.0, if_missing='error')"


def test_landmark_map_skips_hidden_rows():
    """21 AFLW points in the 68 rows: each visible AFLW point with a map
    point is drawn at its own pixel, hidden ones and the 0 rows are not."""
    k = np.arange(21)
    pts21 = np.stack([10.5 + 5 * k, 20.5 + 4 * k], 1)
    visible21 = ~np.isin(k, [2, 7])  # left brow right end, left eye centre
    pts68, visible68 = aflw21_to_68(pts21[None], visible21[None])
    # the AFLW points the map reads: all but the ears (12, 16) and chin (20)
    drawn = [i for i in range(21)
             if i not in (12, 16, 20) and visible21[i]]
    want = {(20 + 4 * i, 10 + 5 * i) for i in drawn}
    out = LandmarkMap()(dict(img=np.zeros((120, 120, 3)),
                             landmarks_2d_input=pts68[0],
                             landmarks_2d_input_visible=visible68[0]))
    assert set(zip(*np.nonzero(out['landmark_map'] == 1))) == want
    # a midpoint needs both rows: hide row 66 and the mouth centre goes
    visible = visible68[0].copy()
    visible[66] = False
    out = LandmarkMap()(dict(img=np.zeros((120, 120, 3)),
                             landmarks_2d_input=pts68[0],
                             landmarks_2d_input_visible=visible))
    assert set(zip(*np.nonzero(out['landmark_map'] == 1))) == \
        want - {(20 + 4 * 18, 10 + 5 * 18)}
    # nothing visible: an all -1 map
    out = LandmarkMap(sigma=2.0)(dict(
        img=np.zeros((120, 120, 3)), landmarks_2d_input=pts68[0],
        landmarks_2d_input_visible=np.zeros(68, bool)))
    assert (out['landmark_map'] == -1).all()
    with pytest.raises(FaceDataError, match=r'landmarks_2d_input_visible'):
        LandmarkMap()(dict(img=np.zeros((120, 120, 3)),
                           landmarks_2d_input=pts68[0],
                           landmarks_2d_input_visible=visible68[0, :21]))
