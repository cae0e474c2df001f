"""ResNet: torchvision layout, 2DASL options and ImageNet loading."""
import pytest
import torch

from mmface3d.models import ResNet

# torchvision ResNet-50 has 25,557,032 parameters, 2,049,000 of them in the
# 2048 -> 1000 classifier.
RESNET50_BACKBONE_PARAMS = 25557032 - 2049000


def torchvision_resnet50_state_dict():
    """Random tensors with the keys and shapes of torchvision's ResNet-50."""
    shapes = {'conv1.weight': (64, 3, 7, 7)}

    def bn(prefix, channels):
        for name in ('weight', 'bias', 'running_mean', 'running_var'):
            shapes[f'{prefix}.{name}'] = (channels, )
        shapes[f'{prefix}.num_batches_tracked'] = ()

    bn('bn1', 64)
    channels = 64
    for stage, blocks in enumerate((3, 4, 6, 3)):
        mid = 64 * 2**stage
        for block in range(blocks):
            prefix = f'layer{stage + 1}.{block}'
            shapes[f'{prefix}.conv1.weight'] = (mid, channels, 1, 1)
            bn(f'{prefix}.bn1', mid)
            shapes[f'{prefix}.conv2.weight'] = (mid, mid, 3, 3)
            bn(f'{prefix}.bn2', mid)
            shapes[f'{prefix}.conv3.weight'] = (4 * mid, mid, 1, 1)
            bn(f'{prefix}.bn3', 4 * mid)
            if block == 0:
                shapes[f'{prefix}.downsample.0.weight'] = (4 * mid, channels,
                                                           1, 1)
                bn(f'{prefix}.downsample.1', 4 * mid)
            channels = 4 * mid
    shapes['fc.weight'] = (1000, 2048)
    shapes['fc.bias'] = (1000, )
    generator = torch.Generator().manual_seed(0)
    return {
        k: (torch.tensor(5) if k.endswith('num_batches_tracked') else
            torch.rand(shape, generator=generator) + 0.5)
        for k, shape in shapes.items()
    }


def test_resnet50_parameter_count():
    assert sum(p.numel() for p in ResNet().parameters()) == \
        RESNET50_BACKBONE_PARAMS
    assert sum(p.numel() for p in ResNet(in_channels=4).parameters()) == \
        RESNET50_BACKBONE_PARAMS + 64 * 7 * 7


def test_global_pool_feature():
    model = ResNet(depth=50).eval()
    with torch.no_grad():
        feats = model(torch.randn(2, 3, 120, 120))
    assert len(feats) == 1 and feats[0].shape == (2, 2048)


def test_released_2dasl_layout_pools_the_top_left_7x7_of_an_8x8_map():
    model = ResNet(
        in_channels=4, strides=(1, 2, 2, 1), pool_kernel=7,
        pool_stride=2).eval()
    seen = {}
    model.layer4.register_forward_hook(
        lambda module, args, out: seen.update(map=out))
    with torch.no_grad():
        feat = model(torch.randn(1, 4, 120, 120))[0]
    assert seen['map'].shape == (1, 2048, 8, 8)
    torch.testing.assert_close(feat, seen['map'][:, :, :7, :7].mean((2, 3)))


def test_pool_that_leaves_a_map_is_reported():
    model = ResNet(pool_kernel=1).eval()
    with pytest.raises(ValueError, match='1x1'):
        model(torch.randn(1, 3, 64, 64))


def test_torchvision_keys_load_through_pretrained(tmp_path):
    state_dict = torchvision_resnet50_state_dict()
    path = tmp_path / 'resnet50_imagenet.pth'
    torch.save(state_dict, path)
    model = ResNet(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    own = model.state_dict()
    assert not [k for k in own if k not in state_dict]
    for key, value in own.items():
        if key != 'conv1.weight':
            assert torch.equal(value, state_dict[key]), key
    # ImageNet filters read RGB, the crops are BGR: channels reversed
    assert torch.equal(own['conv1.weight'],
                       state_dict['conv1.weight'][:, [2, 1, 0]])
    bgr = ResNet(init_cfg=dict(
        type='Pretrained', checkpoint=str(path), channel_order='bgr'))
    bgr.init_weights()
    assert torch.equal(bgr.conv1.weight, state_dict['conv1.weight'])


def test_four_channel_conv1_is_widened_with_zero_map_filters(tmp_path):
    """The 4-channel ResNet starts from ImageNet with the map channel's
    filters at zero: it computes what the 3-channel one does on the image,
    whatever the map holds."""
    state_dict = torchvision_resnet50_state_dict()
    path = tmp_path / 'resnet50_imagenet.pth'
    torch.save({'state_dict': state_dict}, path)
    model = ResNet(
        in_channels=4, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    three = ResNet(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    three.init_weights()
    conv1 = model.conv1.weight
    assert conv1.shape == (64, 4, 7, 7)
    assert torch.equal(conv1[:, :3], state_dict['conv1.weight'][:, [2, 1, 0]])
    assert not conv1[:, 3].any()
    assert torch.equal(model.layer4[2].conv3.weight,
                       state_dict['layer4.2.conv3.weight'])
    model.eval()
    three.eval()
    image = torch.randn(2, 3, 64, 64)
    landmark_map = torch.where(torch.rand(2, 1, 64, 64) > 0.99, 1.0, -1.0)
    with torch.no_grad():
        torch.testing.assert_close(
            model(torch.cat([image, landmark_map], 1))[0], three(image)[0])


def test_wrong_pretrained_file_is_reported(tmp_path):
    path = tmp_path / 'not_resnet.pth'
    torch.save({'conv1.weight': torch.zeros(64, 3, 7, 7)}, path)
    model = ResNet(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(KeyError, match='missing'):
        model.init_weights()


def test_bad_depth_and_strides():
    with pytest.raises(ValueError, match='depth'):
        ResNet(depth=18)
    with pytest.raises(ValueError, match='one stride per stage'):
        ResNet(strides=(1, 2, 2))
