"""Issue 8, hostile and careless inputs to the tools: code-running and
damaged checkpoints, a checkpoint of another architecture, a poisoned BFM
folder, the config's data root, oversized images. Each ends in one error
line (exit 1, no traceback) or a counted skip, and runs no code."""
import os
import pickle
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.io as sio
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer

import mmface3d.datasets.base_face_dataset as base_face_dataset
from mmface3d.datasets import InTheWildDataset, format_landmark_line
from mmface3d.registry import MODELS
from mmface3d.utils.checkpoint import load_model_weights

V1_CONFIG = 'configs/3ddfa/3ddfa_mbv1_120x120.py'
V2_CONFIG = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'
CONVERTER = 'model_converters/tddfa_v2_to_mmface3d.py'
RELEASE = 'weights/3ddfa_v2_mb05_120x120.pth'
NO_DEBUG = {'MMFACE3D_DEBUG': None}


class RunsShell:
    """Unpickles as ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


def error_line(result, tool):
    """The one line a failed tool run ends with: exit 1, no traceback,
    one ``<tool>: error:`` line, the last of stderr."""
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert 'Traceback' not in out, out[-3000:]
    lines = [line for line in out.splitlines() if f'{tool}: error:' in line]
    assert len(lines) == 1, out[-3000:]
    assert result.stderr.rstrip().endswith(lines[0])
    assert lines[0].endswith('(MMFACE3D_DEBUG=1 shows the traceback)')
    return lines[0]


@pytest.fixture
def env(readme_env):
    return dict(readme_env, **NO_DEBUG)


@pytest.fixture(params=['forged run checkpoint', 'plain'])
def evil_checkpoint(request, tmp_path):
    """A checkpoint whose unpickling creates ``marker``; the forged one
    also holds a real message hub buffer (what the old loader trusted)."""
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    checkpoint = dict(
        state_dict={'head.fc.bias': torch.zeros(62)},
        payload=RunsShell(f'touch {marker}'))
    if request.param == 'forged run checkpoint':
        checkpoint['meta'] = dict(iter=4)
        checkpoint['message_hub'] = dict(
            log_scalars={'train/loss': HistoryBuffer([0.5], [1])})
    torch.save(checkpoint, path)
    return path, marker


def test_test_py_refuses_a_code_running_checkpoint(run_tool, env, tmp_path,
                                                   evil_checkpoint):
    path, marker = evil_checkpoint
    result = run_tool('test.py', V2_CONFIG, path, '--work-dir',
                      tmp_path / 'work', env=env, check=False)
    line = error_line(result, 'test.py')
    assert f'test.py: error: {path} holds pickled objects beyond tensors ' \
        'and plain containers (' in line
    assert 'posix.system' in line  # the global that would have run
    assert f'`--trust-checkpoint {path}`' in line
    assert not marker.exists()
    assert 'NME (%)' not in result.stdout + result.stderr  # no table


def test_trusting_another_file_does_not_trust_this_one(
        run_tool, env, tmp_path, evil_checkpoint):
    path, marker = evil_checkpoint
    other = tmp_path / 'other.pth'
    torch.save({}, other)
    result = run_tool('test.py', V2_CONFIG, path, '--work-dir',
                      tmp_path / 'work', '--trust-checkpoint', other,
                      '--trust-checkpoint', f'{path}.bak', env=env,
                      check=False)
    assert f'{path} holds pickled objects' in error_line(result, 'test.py')
    assert not marker.exists()


def test_converter_refuses_a_code_running_release(run_tool, env, tmp_path,
                                                  evil_checkpoint):
    path, marker = evil_checkpoint
    out = tmp_path / 'converted.pth'
    result = run_tool(CONVERTER, path, out, env=env, check=False)
    line = error_line(result, 'tddfa_v2_to_mmface3d.py')
    assert f'{path} holds pickled objects' in line
    assert '--trust-checkpoint' in line
    assert not marker.exists() and not out.exists()


def test_converter_trusts_a_named_legacy_release(run_tool, env, data_root,
                                                 tmp_path):
    """The real release plus a numpy array (weights-only loading refuses
    it): converted only when the file is named."""
    release = torch.load(data_root / RELEASE, 'cpu', weights_only=True)
    release['mean'] = np.zeros(62, np.float32)
    path = tmp_path / 'legacy_release.pth'
    torch.save(release, path)
    out = tmp_path / 'converted.pth'
    refused = run_tool(CONVERTER, path, out, env=env, check=False)
    assert 'numpy' in error_line(refused, 'tddfa_v2_to_mmface3d.py')
    assert not out.exists()
    result = run_tool(CONVERTER, path, out, '--trust-checkpoint', path,
                      env=env)
    assert f'wrote 164 tensors to {out}' in result.stdout
    torch.load(out, weights_only=True)


@pytest.mark.parametrize('tool,args', [
    ('test.py', (V2_CONFIG, )),
    (CONVERTER, ()),
])
def test_zero_byte_checkpoint(run_tool, env, tmp_path, tool, args):
    empty = tmp_path / 'empty.pth'
    empty.touch()
    extra = [tmp_path / 'out.pth'] if tool == CONVERTER else \
        ['--work-dir', tmp_path / 'work']
    result = run_tool(tool, *args, empty, *extra, env=env, check=False)
    line = error_line(result, Path(tool).name)
    assert f'error: checkpoint {empty} is empty (0 bytes): an interrupted ' \
        'download or copy?' in line


@pytest.mark.parametrize('damage', ['truncated', 'garbage'])
def test_unreadable_checkpoint(run_tool, env, converted_3ddfa_v2, tmp_path,
                               damage):
    data = converted_3ddfa_v2.read_bytes()
    path = tmp_path / f'{damage}.pth'
    path.write_bytes(data[:len(data) // 3] if damage == 'truncated' else
                     np.random.default_rng(0).bytes(5000))
    result = run_tool('test.py', V2_CONFIG, path, '--work-dir',
                      tmp_path / 'work', env=env, check=False)
    assert f'test.py: error: {path} is not a readable torch checkpoint (' in \
        error_line(result, 'test.py')


def test_checkpoint_of_another_architecture(run_tool, env,
                                            converted_3ddfa_v2, tmp_path):
    """3DDFA_V2 (MobileNetV1 0.5) weights into the 3DDFA (1.0) model: a
    mostly random network scored 21 % NME with exit 0 before."""
    result = run_tool('test.py', V1_CONFIG, converted_3ddfa_v2,
                      '--work-dir', tmp_path / 'work', env=env, check=False)
    line = error_line(result, 'test.py')
    assert f'test.py: error: {converted_3ddfa_v2} does not fit the model: ' \
        '136 shape mismatches (checkpoint vs model) (e.g. ' \
        'backbone.conv1.weight (16, 3, 3, 3) vs (32, 3, 3, 3)' in line
    assert '--allow-partial-load' in line
    assert 'NME (%)' not in result.stdout + result.stderr


def test_partial_load_keeps_what_does_not_fit(repo_root, converted_3ddfa_v2):
    model = MODELS.build(Config.fromfile(repo_root / V1_CONFIG).model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match='136 shape mismatches'):
        load_model_weights(model, str(converted_3ddfa_v2))
    load_model_weights(model, str(converted_3ddfa_v2), allow_partial=True)
    released = torch.load(converted_3ddfa_v2,
                          weights_only=True)['state_dict']
    after = model.state_dict()
    fits = [k for k in after
            if k in released and released[k].shape == after[k].shape]
    assert 'head.fc.bias' in fits and len(fits) == len(after) - 136
    for key in after:
        expected = released[key] if key in fits else before[key]
        torch.testing.assert_close(after[key], expected, rtol=0, atol=0)


def test_poisoned_bfm_folder(run_tool, data_root, tmp_path):
    """A data folder whose BFM pickle runs code: refused when test.py
    builds the model, naming the file."""
    root = tmp_path / 'data'
    (root / 'bfm').mkdir(parents=True)
    for path in (data_root / 'bfm').iterdir():
        os.symlink(path, root / 'bfm' / path.name)
    marker = tmp_path / 'pwned'
    poisoned = root / 'bfm/bfm_noneck_v3.pkl'
    poisoned.unlink()
    poisoned.write_bytes(
        pickle.dumps(dict(u=np.zeros(3), w_shp=RunsShell(f'touch {marker}'))))
    result = run_tool('test.py', V2_CONFIG, tmp_path / 'unused.pth',
                      '--work-dir', tmp_path / 'work', check=False,
                      env=dict(NO_DEBUG, MMFACE3D_DATA=root))
    line = error_line(result, 'test.py')
    assert f'{poisoned}: refused to unpickle the global `posix.system`' in \
        line
    assert not marker.exists()


def test_config_data_root_reaches_the_bfm(run_tool, data_root, repo_root,
                                          converted_3ddfa_v2, tmp_path):
    """``data_root`` at the top of a config wins over ``$MMFACE3D_DATA``
    (here an empty folder) for the BFM, the dataset and the metric."""
    config = tmp_path / 'own_root.py'
    config.write_text(f'_base_ = [{str(repo_root / V2_CONFIG)!r}]\n'
                      f'data_root = {str(data_root)!r}\n')
    empty = tmp_path / 'empty'
    empty.mkdir()
    result = run_tool(
        'test.py', config, converted_3ddfa_v2, '--work-dir', tmp_path / 'work',
        '--cfg-options', 'test_dataloader.dataset.indices=4',
        'test_dataloader.batch_size=4', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_evaluator.0.allow_partial=True',
        env=dict(NO_DEBUG, MMFACE3D_DATA=empty))
    assert '4 of 2000 images' in result.stdout + result.stderr
    # the premise: without it the empty folder is searched and fails
    plain = run_tool('test.py', V2_CONFIG, converted_3ddfa_v2, '--work-dir',
                     tmp_path / 'work2', check=False,
                     env=dict(NO_DEBUG, MMFACE3D_DATA=empty))
    assert str(empty) in error_line(plain, 'test.py')


def png_claiming(width, height):
    """A PNG whose header claims ``width`` x ``height`` pixels (the pixel
    data is a few bytes): what Pillow refuses as a decompression bomb."""

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data)))

    return (b'\x89PNG\r\n\x1a\n' + chunk(
        b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(b'\x00' * 16)) + chunk(b'IEND', b''))


@pytest.fixture
def logged(monkeypatch):
    """The messages the datasets log."""
    messages = []
    monkeypatch.setattr(base_face_dataset, 'print_log',
                        lambda msg, *args, **kwargs: messages.append(msg))
    return messages


def test_oversized_image_is_skipped_by_a_dataset(tmp_path, data_root,
                                                 logged):
    img_dir = tmp_path / 'imgs'
    img_dir.mkdir()
    shutil.copy(data_root / 'aflw2000_3d/AFLW2000/image00002.jpg',
                img_dir / 'face.jpg')
    (img_dir / 'bomb.png').write_bytes(png_claiming(40000, 40000))
    pts = np.load(data_root / 'aflw2000_3d/annotations/AFLW2000-3D.pts68.npy')
    ann = tmp_path / 'faces.txt'
    ann.write_text(
        ''.join(
            format_landmark_line(name, pts[0, :2].T) + '\n'
            for name in ('face.jpg', 'bomb.png')))
    dataset = InTheWildDataset(
        ann_file=str(ann), data_prefix=dict(img_path=str(img_dir)))
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['img_path'] == str(img_dir / 'face.jpg')
    assert dataset.skipped == {'bomb.png': 'unreadable image'}
    [message] = [m for m in logged if 'bomb.png' in m]
    assert 'skipped 1 unreadable images' in message
    assert f'{img_dir / "bomb.png"}: unreadable image header ' \
        '(DecompressionBombError: Image size (1600000000 pixels) exceeds ' \
        'limit' in message


def test_oversized_image_is_skipped_by_prepare_300wlp(load_tool, data_root,
                                                      tmp_path, capsys):
    prepare_300wlp = load_tool('dataset_converters/prepare_300wlp.py')
    root = tmp_path / '300W_LP'
    (root / 'AFW').mkdir(parents=True)
    src = data_root / 'aflw2000_3d/AFLW2000/image00002'
    for stem in ('AFW_0', 'AFW_bomb'):
        shutil.copy(src.with_suffix('.jpg'), root / f'AFW/{stem}.jpg')
        mat = sio.loadmat(str(src.with_suffix('.mat')))
        mat['pt2d'] = mat['pt3d_68'][:2]
        sio.savemat(str(root / f'AFW/{stem}.mat'),
                    {k: v for k, v in mat.items() if not k.startswith('__')})
    (root / 'AFW/AFW_bomb.jpg').write_bytes(png_claiming(40000, 40000))
    out = tmp_path / 'cache.npz'
    assert prepare_300wlp.main(
        [str(root), '--out', str(out), '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert '1 files left out' in printed and 'wrote 1 samples' in printed
    [line] = out.with_suffix('.skipped.txt').read_text().splitlines()
    name, reason = line.split('\t')
    assert name == 'AFW/AFW_bomb'
    assert 'DecompressionBombError' in reason and 'AFW_bomb.jpg' in reason
    with np.load(out) as cache:
        assert list(cache['names']) == ['AFW/AFW_0.jpg']
