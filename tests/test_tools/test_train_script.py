"""End to end: tools/train.py on synthetic faces: killed and resumed
bit-exactly, checkpoints that load weights-only, a diverging run stopped
before a NaN checkpoint, and the one-line errors of a wrong command."""
import os
import re
import signal
import time
from pathlib import Path

import pytest
import torch

TOOL = 'train.py'

CONFIG = """
_base_ = ['{repo}/configs/_base_/default_runtime.py']
model = dict(
    type='Face3DRegressor',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=3),
    backbone=dict(type='MobileNetV1', widen_factor=0.25),
    head=dict(type='ParamRegressionHead', in_channels=256))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='SyntheticFaceDataset', split='3d', length=16, seed=0,
        pipeline=[
            dict(type='FaceCrop', crop_size=120),
            dict(type='NormalizeFace'),
            dict(type='PackFace3DInputs'),
        ]))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=1e-4, momentum=0.9))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
"""


def error_line(result, tool='train.py'):
    """The one line a failed tool run ends with (exit 1, no traceback)."""
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert 'Traceback' not in out, out[-3000:]
    lines = [line for line in out.splitlines() if f'{tool}: error:' in line]
    assert len(lines) == 1, out[-3000:]
    assert result.stderr.rstrip().endswith(lines[0])
    assert lines[0].endswith('(MMFACE3D_DEBUG=1 shows the traceback)')
    return lines[0]


def write_config(repo_root, tmp_path):
    config = tmp_path / 'tiny_synthetic.py'
    config.write_text(CONFIG.format(repo=repo_root))
    return config


def checkpoints(work_dir):
    """{iteration: path} of the ``iter_N.pth`` files in ``work_dir``."""
    return {
        int(re.fullmatch(r'iter_(\d+)\.pth', p.name).group(1)): p
        for p in Path(work_dir).glob('iter_*.pth')
    }


def tensors(obj, where='checkpoint'):
    """(location, tensor) pairs of every tensor in a loaded checkpoint."""
    if isinstance(obj, torch.Tensor):
        yield where, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from tensors(value, f'{where}.{key}')
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from tensors(value, f'{where}[{i}]')


@pytest.mark.e2e
def test_killed_run_resumes_where_it_stopped(start_tool, run_tool, readme_env,
                                             repo_root, data_root, tmp_path):
    """SIGKILL, then ``--resume``: the iteration count continues and the
    final weights equal those of an uninterrupted run of the same length
    (CPU, same seed, deterministic data)."""
    config = write_config(repo_root, tmp_path)
    work_dir = tmp_path / 'work'

    def train(*args):
        return start_tool(TOOL, config, '--work-dir', work_dir, *args,
                          env=readme_env)

    proc = train()
    deadline = time.time() + 240
    while not (work_dir / 'iter_4.pth').exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() < deadline, 'no checkpoint within 240 s'
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    last = Path((work_dir / 'last_checkpoint').read_text().strip())
    done = int(re.fullmatch(r'iter_(\d+)\.pth', last.name).group(1))
    assert done >= 4

    proc = train('--resume', '--cfg-options',
                 f'train_cfg.max_iters={done + 2}')
    log, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, log
    assert f'resumed epoch: 0, iter: {done}' in log
    # The first logged iteration after resuming continues the count.
    first = re.search(r'Iter\(train\) \[\s*(\d+)/', log)
    assert int(first.group(1)) == done + 1
    assert (work_dir / f'iter_{done + 2}.pth').exists()
    assert not re.search(r'loss: nan', log)

    reference = tmp_path / 'uninterrupted'
    run_tool(TOOL, config, '--work-dir', reference, '--cfg-options',
             f'train_cfg.max_iters={done + 2}', env=readme_env)
    resumed = torch.load(work_dir / f'iter_{done + 2}.pth',
                         weights_only=True)['state_dict']
    straight = torch.load(reference / f'iter_{done + 2}.pth',
                          weights_only=True)['state_dict']
    assert resumed.keys() == straight.keys()
    for key, value in straight.items():
        torch.testing.assert_close(resumed[key], value, rtol=0, atol=1e-6,
                                   msg=lambda m, key=key: f'{key}: {m}')
    # the two iterations after the kill moved the weights far beyond that
    before = torch.load(reference / f'iter_{done}.pth',
                        weights_only=True)['state_dict']
    moved = max((value.double() - before[key].double()).abs().max().item()
                for key, value in straight.items()
                if value.is_floating_point())
    assert moved > 1e-4


@pytest.mark.e2e
def test_every_checkpoint_loads_weights_only(run_tool, readme_env, repo_root,
                                             data_root, tmp_path):
    """What tools/train.py writes needs no full unpickling (no file of a
    run ever asks the user to trust it)."""
    config = write_config(repo_root, tmp_path)
    work_dir = tmp_path / 'work'
    run_tool(TOOL, config, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=1',
             env=readme_env)
    saved = checkpoints(work_dir)
    assert sorted(saved) == [1, 2]
    for path in saved.values():
        checkpoint = torch.load(path, weights_only=True)
        assert {'meta', 'state_dict', 'message_hub', 'optimizer'} <= \
            set(checkpoint)
        assert checkpoint['message_hub']['log_scalars']['train/loss'][
            '__mmface3d_type__'] == 'HistoryBuffer'


@pytest.mark.e2e
def test_diverging_run_stops_before_a_nan_checkpoint(run_tool, readme_env,
                                                     repo_root, data_root,
                                                     tmp_path):
    config = write_config(repo_root, tmp_path)
    work_dir = tmp_path / 'work'
    result = run_tool(
        TOOL, config, '--work-dir', work_dir, '--cfg-options',
        'train_cfg.max_iters=20', 'optim_wrapper.optimizer.lr=1e9',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=-1',
        env=dict(readme_env, MMFACE3D_DEBUG=None), check=False)
    line = error_line(result)
    match = re.search(r'error: iteration (\d+): loss term `loss_params` is '
                      r'\[(-?inf|nan)\], not finite; training stops here',
                      line)
    assert match, line
    stopped = int(match.group(1))
    # every iteration before it was saved, none from it on
    saved = checkpoints(work_dir)
    assert sorted(saved) == list(range(1, stopped))
    for path in saved.values():
        for where, value in tensors(torch.load(path, weights_only=True)):
            if value.is_floating_point():
                assert torch.isfinite(value).all(), f'{path.name}: {where}'


def test_resume_without_a_checkpoint(run_tool, readme_env, repo_root,
                                     tmp_path):
    """A typo in --work-dir must not start a fresh run silently."""
    config = write_config(repo_root, tmp_path)
    work_dir = tmp_path / 'typo'
    work_dir.mkdir()
    result = run_tool(TOOL, config, '--work-dir', work_dir, '--resume',
                      env=dict(readme_env, MMFACE3D_DEBUG=None), check=False)
    assert error_line(result) == (
        f'train.py: error: --resume: no checkpoint to resume from in '
        f'{work_dir} (no last_checkpoint file); check --work-dir, or leave '
        'out --resume to start a new run (MMFACE3D_DEBUG=1 shows the '
        'traceback)')
    assert not list(work_dir.iterdir())


def test_evaluation_only_config(run_tool, readme_env, tmp_path):
    config = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'
    result = run_tool(TOOL, config, '--work-dir', tmp_path / 'work',
                      env=dict(readme_env, MMFACE3D_DEBUG=None), check=False)
    line = error_line(result)
    assert f'train.py: error: {config} is an evaluation-only config (no ' \
        'train_dataloader / train_cfg): use it with tools/test.py' in line


class RunsShell:
    """Unpickles as ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


@pytest.mark.parametrize('how', ['--resume', 'load_from'])
def test_code_running_checkpoint_is_refused(run_tool, readme_env, repo_root,
                                            tmp_path, how):
    config = write_config(repo_root, tmp_path)
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, payload=RunsShell(f'touch {marker}')),
               evil)
    args = ['--resume', evil] if how == '--resume' else \
        ['--cfg-options', f'load_from={evil}']
    result = run_tool(TOOL, config, '--work-dir', tmp_path / 'work', *args,
                      env=dict(readme_env, MMFACE3D_DEBUG=None), check=False)
    line = error_line(result)
    assert f'train.py: error: {evil} holds pickled objects' in line
    assert f'`--trust-checkpoint {evil}`' in line
    assert not marker.exists()
    assert not list((tmp_path / 'work').glob('*.pth'))
