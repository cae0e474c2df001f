"""FAN through face-alignment's own crop, with its network stubbed (its
weights cannot be downloaded here): heat maps with known peaks give image
points worked out by hand."""
import urllib.error

import numpy as np
import pytest
import torch
from torch import nn

from mmface3d.models import FANLandmarkSource
from mmface3d.models.landmark_sources.fan_landmark_source import \
    decode_heatmaps

pytest.importorskip('face_alignment')


def test_decode_heatmaps_by_hand():
    maps = torch.zeros(1, 2, 64, 64)
    maps[0, 0, 10, 20] = 1.0  # row 10, col 20
    maps[0, 0, 10, 21] = 0.5  # right neighbour larger: x + 0.25
    maps[0, 0, 9, 20] = 0.5  # upper neighbour larger: y - 0.25
    maps[0, 1, 0, 63] = 1.0  # on the border: no quarter step
    centers = torch.tensor([[100.0, 200.0]])
    scales = torch.tensor([2.0])  # crop side 400 px, 6.25 px per cell
    points = decode_heatmaps(maps, centers, scales)
    expected = torch.tensor([[[(20.75 / 64 - 0.5) * 400 + 100,
                               (10.25 / 64 - 0.5) * 400 + 200],
                              [(63.5 / 64 - 0.5) * 400 + 100,
                               (0.5 / 64 - 0.5) * 400 + 200]]])
    torch.testing.assert_close(points, expected)


class PeakFAN(nn.Module):
    """Heat maps peaked at cell (row 32, col 16) of every point, in a list
    as FAN returns its stacks; records the crops."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))
        self.crops = []

    def forward(self, x):
        self.crops.append(x)
        maps = torch.zeros(x.shape[0], 68, 64, 64)
        maps[:, :, 32, 16] = 1.0
        return [maps]


def test_points_through_the_crop():
    net = PeakFAN()
    source = FANLandmarkSource(network=net)
    img = np.zeros((300, 400, 3), np.uint8)
    boxes = np.array([[100.0, 50.0, 200.0, 190.0, 0.9]])
    out = source(img, boxes)
    # face-alignment's crop: centre (150, 120 - 0.12 * 140), scale
    # (100 + 140) / 195, side 200 * scale; cell (32, 16) -> (16.5, 32.5)
    scale = 240 / 195
    center = np.array([150.0, 120.0 - 0.12 * 140])
    expected = (np.array([16.5, 32.5]) / 64 - 0.5) * 200 * scale + center
    np.testing.assert_allclose(out[0], np.tile(expected, (68, 1)),
                               atol=1e-3)
    assert net.crops[0].shape == (1, 3, 256, 256)
    assert source.name == 'fan'


def test_loads_weights_file(monkeypatch, tmp_path):
    import face_alignment.models as fa_models

    class TinyFAN(PeakFAN):
        def __init__(self, num_modules=4):
            super().__init__()

    monkeypatch.setattr(fa_models, 'FAN', TinyFAN)
    path = tmp_path / 'fan.pth.tar'
    state = TinyFAN().state_dict()
    state['dummy'] = torch.ones(1)
    torch.save(state, path)
    source = FANLandmarkSource(weights=str(path))
    assert isinstance(source.network, TinyFAN)
    assert source.network.dummy.item() == 1.0


def test_offline_without_weights_says_what_to_do(monkeypatch):
    import face_alignment.utils as fa_utils

    def no_network(*args, **kwargs):
        raise urllib.error.URLError('no network')

    monkeypatch.setattr(fa_utils, 'load_file_from_url', no_network)
    with pytest.raises(RuntimeError, match='pass it as weights=PATH'):
        FANLandmarkSource()
