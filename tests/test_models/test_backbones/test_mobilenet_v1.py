"""MobileNetV1: the 3DDFA / 3DDFA_V2 architecture and its released weights."""
import pytest
import torch

from mmface3d.models import MobileNetV1
from mmface3d.registry import MODELS


def num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_width_1_has_the_mobilenet_v1_parameter_count():
    # MobileNetV1 1.0 has 4,231,976 trainable parameters with its
    # 1024 -> 1000 classifier (1,025,000 of them); the backbone is the rest.
    assert num_params(MobileNetV1(widen_factor=1.0)) == 4231976 - 1025000


@pytest.mark.parametrize('widen_factor,in_channels,out_channels',
                         [(1.0, 3, 1024), (0.5, 3, 512), (0.5, 4, 512),
                          (0.25, 3, 256)])
def test_pooled_feature_shape(widen_factor, in_channels, out_channels):
    model = MODELS.build(
        dict(
            type='MobileNetV1',
            widen_factor=widen_factor,
            in_channels=in_channels))
    model.init_weights()
    feats = model(torch.randn(2, in_channels, 120, 120))
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (2, out_channels)
    assert model.out_channels == out_channels


def test_five_stride_2_stages_give_a_4x4_map_at_120():
    model = MobileNetV1(widen_factor=0.25).eval()
    seen = {}
    model.dw6.register_forward_hook(
        lambda module, args, out: seen.update(dw6=out.shape))
    with torch.no_grad():
        model(torch.randn(1, 3, 120, 120))
    assert seen['dw6'] == (1, 256, 4, 4)


def test_default_init():
    model = MobileNetV1(widen_factor=0.5)
    model.init_weights()
    assert torch.all(model.bn1.weight == 1) and torch.all(model.bn1.bias == 0)
    # Kaiming normal, fan-out, ReLU gain: std = sqrt(2 / (9 * 512)).
    std = model.dw6.conv_dw.weight.std().item()
    assert std == pytest.approx((2 / (9 * 512))**0.5, rel=0.1)


def test_wrong_channel_count_is_reported():
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        MobileNetV1()(torch.randn(1, 4, 120, 120))


def test_released_3ddfa_v2_weights_load_strictly(data_root):
    checkpoint = torch.load(
        data_root / 'weights/3ddfa_v2_mb05_120x120.pth',
        map_location='cpu',
        weights_only=True)
    released = {
        k[len('module.'):]: v
        for k, v in checkpoint['state_dict'].items()
        if not k.startswith(('module.fc_param.', 'module.fc_lm.'))
    }
    model = MobileNetV1(widen_factor=0.5)
    model.load_state_dict(released, strict=True)
    assert checkpoint['state_dict']['module.fc_param.weight'].shape == (
        62, model.out_channels)
