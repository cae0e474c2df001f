"""The mouth cavity: the rim of the BFM's mouth opening and the fan of
triangles that closes it."""
from collections import Counter

import numpy as np
import pytest
import torch

from mmface3d.datasets.synthetic import (MOUTH_COLOR, MOUTH_DEPTH, close_mouth,
                                         mouth_boundary)
from mmface3d.morphable import MorphableModel


@pytest.fixture(scope='module', params=['3ddfa', '3ddfa_v2'])
def model(request, data_root):
    if request.param == '3ddfa':
        return MorphableModel(param_stats=None)
    return MorphableModel(
        'bfm/bfm_noneck_v3.pkl', layout='3ddfa_v2', param_stats=None,
        convention='v2')


def test_mouth_boundary_is_a_closed_loop_at_the_lips(model):
    rim = mouth_boundary(model)
    assert rim.ndim == 2 and rim.shape[1] == 2 and len(rim) > 10
    # every edge borders exactly one triangle (counted here by hand)
    tri = model.tri.numpy()
    counts = Counter(
        tuple(sorted(e)) for t in tri
        for e in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])))
    assert all(counts[tuple(sorted(e))] == 1 for e in rim.tolist())
    # a closed loop: every rim vertex has degree 2, and the edges form one
    # cycle through all of them
    degree = Counter(rim.ravel().tolist())
    assert set(degree.values()) == {2}
    assert len(degree) == len(rim)
    neighbours = {v: [] for v in degree}
    for a, b in rim.tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    start = rim[0, 0]
    previous, current, steps = start, neighbours[start][0], 1
    while current != start:
        nxt = [v for v in neighbours[current] if v != previous][0]
        previous, current, steps = current, nxt, steps + 1
    assert steps == len(rim)
    # it surrounds the inner lips (landmarks 60-67) of the mean face, well
    # inside the mouth corners (48, 54)
    mean = model.u.numpy().reshape(-1, 3)
    lips = mean[model.keypoints[60:68].numpy()]
    centre = mean[rim[:, 0]].mean(0)
    corners = mean[model.keypoints[[48, 54]].numpy()]
    width = np.linalg.norm(corners[0] - corners[1])
    assert np.linalg.norm(centre - lips.mean(0)) < 0.1 * width
    extent = np.ptp(mean[rim[:, 0]], axis=0)
    assert extent[0] < 1.2 * width


def test_close_mouth_fan():
    """A fan from the rim's mean to a tip MOUTH_DEPTH model units behind it:
    for a camera f Ry(b) the backward direction f R (0, 0, -1), image-row
    flipped, is f (sin b, 0, -cos b)."""
    b, f = np.deg2rad(30.0), 0.002
    params = torch.zeros(1, 62, dtype=torch.float64)
    camera = f * torch.tensor([[np.cos(b), 0, -np.sin(b)], [0, 1, 0],
                               [np.sin(b), 0, np.cos(b)]])
    params[0, :12] = torch.cat([camera, torch.zeros(3, 1)], 1).reshape(-1)
    vertices = torch.arange(15, dtype=torch.float64).reshape(1, 3, 5)
    tri = torch.tensor([[0, 1, 4]])
    edges = torch.tensor([[1, 2], [2, 3], [3, 1]])
    colors = torch.ones(1, 5, 3, dtype=torch.float64)
    out_vertices, out_tri, out_colors = close_mouth(tri, edges, params,
                                                    vertices, colors)
    assert out_vertices.shape == (1, 3, 6) and out_colors.shape == (1, 6, 3)
    torch.testing.assert_close(out_vertices[:, :, :5], vertices)
    rim = vertices[0, :, [1, 2, 3]].mean(1)
    expected = rim + MOUTH_DEPTH * f * torch.tensor(
        [np.sin(b), 0.0, -np.cos(b)], dtype=torch.float64)
    torch.testing.assert_close(out_vertices[0, :, 5], expected)
    assert out_tri.tolist() == [[0, 1, 4], [5, 1, 2], [5, 2, 3], [5, 3, 1]]
    torch.testing.assert_close(out_colors[0, 5],
                               torch.tensor(MOUTH_COLOR).double())
