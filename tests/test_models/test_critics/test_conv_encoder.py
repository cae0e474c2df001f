"""ConvEncoder: shapes, channel checks and its hand-counted size."""
import pytest
import torch
from torch import nn

from mmface3d.registry import MODELS


def test_120_crop_to_z():
    encoder = MODELS.build(dict(type='ConvEncoder'))
    encoder.init_weights()
    z = encoder(torch.randn(2, 3, 120, 120))
    assert z.shape == (2, 256)
    assert encoder.out_channels == 256
    # 120 -> 60 -> 30 -> 15 -> 7 -> 3 -> 1: nothing left to pool
    maps = encoder.layers(torch.randn(1, 3, 120, 120))
    assert maps.shape == (1, 256, 1, 1)


def test_hand_counted_parameters():
    """Six 3x3 convs with biases: 9 c_in c_out + c_out each."""
    encoder = MODELS.build(dict(type='ConvEncoder'))
    expected = ((27 * 32 + 32) + (288 * 64 + 64) + (576 * 128 + 128) +
                (1152 * 256 + 256) + 2 * (2304 * 256 + 256))
    assert expected == 1568576
    assert sum(p.numel() for p in encoder.parameters()) == expected
    convs = [m for m in encoder.modules() if isinstance(m, nn.Conv2d)]
    pools = [m for m in encoder.modules() if isinstance(m, nn.MaxPool2d)]
    relus = [m for m in encoder.modules() if isinstance(m, nn.ReLU)]
    assert len(convs) == len(pools) == len(relus) == 6


def test_four_channels_and_other_sizes():
    encoder = MODELS.build(
        dict(type='ConvEncoder', in_channels=4, channels=(8, 8, 8, 8, 8,
                                                          16)))
    assert encoder(torch.randn(3, 4, 120, 120)).shape == (3, 16)
    # larger inputs leave a map that is pooled; 64 is the smallest
    assert encoder(torch.randn(1, 4, 200, 150)).shape == (1, 16)
    assert encoder(torch.randn(1, 4, 64, 64)).shape == (1, 16)
    with pytest.raises(ValueError, match='H, W >= 64'):
        encoder(torch.randn(1, 4, 63, 120))


def test_channel_mismatch_is_reported():
    encoder = MODELS.build(dict(type='ConvEncoder'))
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        encoder(torch.randn(1, 4, 120, 120))
