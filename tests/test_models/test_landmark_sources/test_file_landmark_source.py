"""Landmarks from a landmark list, matched to detector boxes."""
import numpy as np
import pytest

from mmface3d.models import BootstrapLandmarkSource, FileLandmarkSource


@pytest.fixture
def landmark_list(tmp_path):
    points = np.stack([np.linspace(100, 200, 68),
                       np.linspace(50, 150, 68)], 1)
    lines = ['# a comment',
             'folder/a.jpg,' + ','.join(f'{v:.2f}' for v in points.ravel()),
             'b.jpg']
    path = tmp_path / 'lms.txt'
    path.write_text('\n'.join(lines) + '\n')
    return path, points


def test_finds_the_face_of_an_image(landmark_list):
    path, points = landmark_list
    source = FileLandmarkSource(str(path))
    boxes = np.array([[0, 0, 40, 40, 1.0], [95, 45, 205, 160, 0.9]])
    out = source(np.zeros((10, 10, 3), np.uint8), boxes,
                 '/data/images/folder/a.jpg')
    # the second box covers the points; the first gets no points
    assert np.isnan(out[0]).all()
    np.testing.assert_allclose(out[1], points, atol=0.01)
    # by name relative to a prefix, and not at all for a failed line / an
    # unknown image
    source = FileLandmarkSource(str(path), img_prefix='/data/images')
    assert source.lookup('/data/images/folder/a.jpg') is not None
    assert source.lookup('/data/images/b.jpg') is None
    assert np.isnan(source(np.zeros((10, 10, 3), np.uint8), boxes,
                           'c.jpg')).all()
    assert source.name == f'file:{path}'


def test_bootstrap_gives_no_points():
    source = BootstrapLandmarkSource(rounds=2)
    assert source(np.zeros((10, 10, 3), np.uint8),
                  np.array([[0, 0, 5, 5]])) is None
    assert source.rounds == 2 and source.name == 'bootstrap(rounds=2)'
    with pytest.raises(ValueError, match='rounds'):
        BootstrapLandmarkSource(rounds=-1)
