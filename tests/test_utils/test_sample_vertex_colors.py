"""Vertex colours sampled from an image, against bilinear interpolation by
hand."""
import numpy as np
import pytest

from mmface3d.utils import sample_vertex_colors


def test_bilinear_colours_by_hand():
    image = np.zeros((4, 5, 3), np.uint8)
    image[1, 2] = [0, 0, 100]  # BGR: red 100
    image[1, 3] = [0, 0, 200]
    image[2, 2] = [50, 0, 0]  # blue 50
    vertices = np.array([
        [2.5, 1.0, 7.0],  # halfway between (1, 2) and (1, 3)
        [2.0, 1.5, 0.0],  # halfway between (1, 2) and (2, 2)
        [-5.0, -5.0, 0.0],  # off the image: the corner pixel
    ])
    colors = sample_vertex_colors(image, vertices)
    np.testing.assert_allclose(colors, [[150, 0, 0], [50, 0, 25], [0, 0, 0]],
                               atol=0.5)
    # 1-based vertices (v1 convention): pixel (0, 0) is at 1.0
    np.testing.assert_allclose(
        sample_vertex_colors(image, vertices[:1] + 1, pixel_origin=1.0),
        colors[:1])


def test_many_vertices():
    """More vertices than an OpenCV map side holds (32767)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    cols, rows = rng.integers(0, 30, 40000), rng.integers(0, 20, 40000)
    vertices = np.stack([cols, rows, np.zeros(40000)], 1)
    np.testing.assert_array_equal(
        sample_vertex_colors(image, vertices), image[rows, cols, ::-1])


def test_bad_input():
    with pytest.raises(ValueError, match='BGR'):
        sample_vertex_colors(np.zeros((4, 4)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match='finite'):
        sample_vertex_colors(np.zeros((4, 4, 3), np.uint8),
                             np.full((1, 3), np.nan))
