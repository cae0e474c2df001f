"""S3FD through face-alignment's own code, with its network stubbed (its
weights cannot be downloaded here): a stand-in network with one confident
anchor, saved and loaded as a weights file, goes through face-alignment's
decoding and NMS."""
import urllib.error

import numpy as np
import pytest
import torch
from torch import nn

from mmface3d.models.detectors import S3FDDetector

sfd_detector = pytest.importorskip(
    'face_alignment.detection.sfd.sfd_detector')


class OneAnchorS3FD(nn.Module):
    """S3FD's outputs (class / box maps of 6 layers, strides 4 .. 128) with
    a face only at cell (row 10, col 20) of the stride-4 layer and zero box
    offsets; records the (BGR, mean-subtracted) input it saw."""

    seen = []

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        OneAnchorS3FD.seen.append(x.clone())
        height, width = x.shape[2:]
        outputs = []
        for i in range(6):
            stride = 2**(i + 2)
            cls = torch.zeros(x.shape[0], 2, height // stride,
                              width // stride)
            cls[:, 1] = -10.0
            if i == 0:
                cls[:, 1, 10, 20] = 10.0
            outputs += [cls, torch.zeros(x.shape[0], 4, height // stride,
                                         width // stride)]
        return outputs


@pytest.fixture
def stub_weights(monkeypatch, tmp_path):
    monkeypatch.setattr(sfd_detector, 's3fd', OneAnchorS3FD)
    OneAnchorS3FD.seen = []
    path = tmp_path / 's3fd.pth'
    torch.save(OneAnchorS3FD().state_dict(), path)
    return str(path)


def test_detects_through_face_alignment(stub_weights):
    img = np.zeros((128, 160, 3), np.uint8)
    img[..., 0] = 200  # blue in BGR
    boxes = S3FDDetector(weights=stub_weights).detect(img)
    # the anchor of cell (10, 20), stride 4: centre (2 + 20 * 4, 2 + 10 * 4)
    # = (82, 42), side 4 * 4 = 16; zero offsets keep it
    assert boxes.shape == (1, 5)
    np.testing.assert_allclose(boxes[0, :4], [74, 34, 90, 50], atol=1e-4)
    assert boxes[0, 4] > 0.99
    # the network saw BGR minus (104, 117, 123): the image reached it in
    # the right channel order
    first = OneAnchorS3FD.seen[0][0, :, 0, 0]
    torch.testing.assert_close(first, torch.tensor([96.0, -117.0, -123.0]))
    assert S3FDDetector(weights=stub_weights, score_thr=1.01).detect(
        img).shape == (0, 5)


def test_offline_without_weights_says_what_to_do(monkeypatch):
    def no_network(*args, **kwargs):
        raise urllib.error.URLError('no network')

    monkeypatch.setattr(sfd_detector, 'load_state_dict_from_url', no_network)
    with pytest.raises(RuntimeError, match='pass it as weights=PATH'):
        S3FDDetector()
