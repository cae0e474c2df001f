"""End to end: tools/train.py on synthetic faces, killed and resumed."""
import re
import signal
import time
from pathlib import Path

import pytest

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


@pytest.mark.e2e
def test_killed_run_resumes_where_it_stopped(start_tool, readme_env, repo_root,
                                             data_root, tmp_path):
    config = tmp_path / 'tiny_synthetic.py'
    config.write_text(CONFIG.format(repo=repo_root))
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
