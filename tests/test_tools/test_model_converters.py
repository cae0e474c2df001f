"""tools/model_converters: key maps on synthetic releases, and the real
3DDFA_V2 weights end to end on AFLW2000-3D."""
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmface3d.models import MobileNetV1, ResNet
from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample

ANN = 'aflw2000_3d/annotations'


@pytest.fixture(scope='module')
def converter(load_tool):
    """``converter('tddfa_to_mmface3d')``: a tools/model_converters module.
    """
    return lambda name: load_tool(f'model_converters/{name}.py')


@pytest.fixture(scope='module')
def build(repo_root):
    """``build('3ddfa/3ddfa_mbv1_120x120.py')``: the config's model."""
    return lambda config: MODELS.build(
        Config.fromfile(repo_root / 'configs' / config).model)


def released_state_dict(backbone):
    """Random ``module.``-prefixed tensors in the layout of a 3DDFA / 2DASL
    release: the backbone's keys (the release layout: test_mobilenet_v1.py
    checks it against the real 3DDFA_V2 weights, test_resnet.py against
    torchvision's ResNet-50) plus the ``fc`` layer to 62 parameters."""
    shapes = {k: v.shape for k, v in backbone.state_dict().items()}
    shapes['fc.weight'] = (62, backbone.out_channels)
    shapes['fc.bias'] = (62, )
    generator = torch.Generator().manual_seed(0)
    return {
        f'module.{k}': (torch.rand(shape, generator=generator)
                        if len(shape) else torch.tensor(7))
        for k, shape in shapes.items()
    }


def check_converted(dst, model, released, head_prefix):
    """The converted file loads strictly and holds the released tensors."""
    checkpoint = torch.load(dst, weights_only=True)
    load_checkpoint(model, str(dst), strict=True)
    state = model.state_dict()
    for key, value in released.items():
        key = key[len('module.'):]
        if key.startswith(head_prefix):
            new_key = 'head.fc.' + key[len(head_prefix):]
        else:
            new_key = 'backbone.' + key
        assert torch.equal(state[new_key], value), key
    return checkpoint['meta']


def test_tddfa_v1_key_map(converter, build, tmp_path, data_root):
    released = released_state_dict(MobileNetV1(widen_factor=1.0))
    src, dst = tmp_path / 'phase1_wpdc_vdc.pth.tar', tmp_path / 'out.pth'
    torch.save({'state_dict': released}, src)
    converter('tddfa_to_mmface3d').convert(str(src), str(dst))
    meta = check_converted(dst, build('3ddfa/3ddfa_mbv1_120x120.py'), released,
                           'fc.')
    assert meta['converted_from'] == 'phase1_wpdc_vdc.pth.tar'
    assert meta['converter'] == 'tddfa_to_mmface3d'


def test_twodasl_key_map(converter, build, tmp_path, data_root):
    released = released_state_dict(ResNet(in_channels=4))
    src, dst = tmp_path / '2DASL_stage2.pth.tar', tmp_path / 'out.pth'
    torch.save({'res_state_dict': released, 'epoch': 50}, src)
    converter('twodasl_to_mmface3d').convert(str(src), str(dst))
    meta = check_converted(dst, build('2dasl/2dasl_r50_released_120x120.py'),
                           released, 'fc.')
    assert meta['source_epoch'] == 50


def test_missing_head_is_reported(converter, tmp_path):
    src = tmp_path / 'no_head.pth'
    released = released_state_dict(MobileNetV1(widen_factor=0.25))
    del released['module.fc.weight'], released['module.fc.bias']
    torch.save({'state_dict': released}, src)
    with pytest.raises(KeyError, match='fc.weight'):
        converter('tddfa_to_mmface3d').convert(str(src),
                                               str(tmp_path / 'out.pth'))
    torch.save({'weights': {}}, src)
    with pytest.raises(KeyError, match='res_state_dict'):
        converter('twodasl_to_mmface3d').convert(str(src),
                                                 str(tmp_path / 'out.pth'))


def test_command_line(converter, tmp_path, monkeypatch, capsys):
    released = released_state_dict(MobileNetV1(widen_factor=0.25))
    src, dst = tmp_path / 'release.pth', tmp_path / 'sub' / 'out.pth'
    torch.save({'state_dict': released}, src)
    monkeypatch.setattr(sys, 'argv',
                        ['tddfa_to_mmface3d.py',
                         str(src), str(dst)])
    runpy.run_path(converter('tddfa_to_mmface3d').__file__,
                   run_name='__main__')
    state_dict = torch.load(dst, weights_only=True)['state_dict']
    assert len(state_dict) == len(released)
    assert torch.equal(state_dict['head.fc.bias'], released['module.fc.bias'])
    assert f'wrote {len(released)} tensors' in capsys.readouterr().out


def box_affine(box):
    """The (2, 3) image-to-crop map of ``crop_120``: ``q = (p - start) *
    120 / (end - start)`` per axis."""
    start, end = np.asarray(box[:2], float), np.asarray(box[2:], float)
    scale = 120 / (end - start)
    return np.array([[scale[0], 0, -scale[0] * start[0]],
                     [0, scale[1], -scale[1] * start[1]]], np.float32)


def crop_120(img, box):
    """Zero-padded ``img[sy:ey, sx:ex]`` resized to 120x120 (bilinear)."""
    sx, sy, ex, ey = [int(v) for v in box]
    h, w = img.shape[:2]
    crop = np.zeros((ey - sy, ex - sx, 3), np.uint8)
    x0, x1, y0, y1 = max(sx, 0), min(ex, w), max(sy, 0), min(ey, h)
    crop[y0 - sy:y1 - sy, x0 - sx:x1 - sx] = img[y0:y1, x0:x1]
    return cv2.resize(crop, (120, 120), interpolation=cv2.INTER_LINEAR)


def test_tddfa_v2_release_on_aflw2000(converter, build, tmp_path, data_root):
    dst = tmp_path / '3ddfa_v2_mb05_120x120.pth'
    converted = converter('tddfa_v2_to_mmface3d').convert(
        str(data_root / 'weights/3ddfa_v2_mb05_120x120.pth'), str(dst))
    assert not any('fc_lm' in k for k in converted)
    model = build('3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py')
    load_checkpoint(model, str(dst), strict=True)
    assert torch.load(dst, weights_only=True)['meta']['source_epoch'] == 62
    model.eval()

    index = [0, 1, 2, 3]
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    boxes = np.load(data_root / ANN / 'AFLW2000-3D_crop.roi_box.npy')
    gt = np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy')[index, :2]
    inputs, samples = [], []
    for i in index:
        img = cv2.imread(str(data_root / 'aflw2000_3d/AFLW2000' / names[i]))
        crop = (crop_120(img, boxes[i]).astype(np.float32) - 127.5) / 128
        inputs.append(torch.from_numpy(crop.transpose(2, 0, 1)))
        samples.append(
            Face3DDataSample(metainfo=dict(crop_affine=box_affine(boxes[i]))))
    samples = model.test_step(dict(inputs=inputs, data_samples=samples))
    pred = np.stack([s.pred_landmarks[:, :2].numpy() for s in samples])
    size = gt.max(2) - gt.min(2)
    nme = np.linalg.norm(pred - gt.transpose(0, 2, 1), axis=2).mean(1) / \
        np.sqrt(size.prod(1))
    assert (nme < 0.06).all(), nme
