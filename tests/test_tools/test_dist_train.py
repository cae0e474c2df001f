"""tools/dist_train.sh on a CPU-only machine: two processes (torchrun,
gloo) training a small TwoDASL for one iteration on a fixed batch split over
the two ranks give the gradients of one process on the whole batch.

The batch: 2 3D-annotated and 2 2D-only synthetic faces, the whole data set;
one process takes all 4 in one batch, each of the two ranks a batch of 2
(``MixedBatchSampler``: one 3D and one 2D face per rank, different faces on
the two ranks). Every loss term is a mean over its samples and both ranks
hold the same mix, so the mean of the two ranks' gradients is the gradient of
the whole batch. The gradients are read from the weights: both optimisers
are plain SGD with lr 1 (no momentum, no decay), so ``grad = w_0 - w_1``
with ``w_0`` from a run with lr 0.

BatchNorm: the backbone runs with ``norm_eval=True`` (running statistics,
its affine parameters still train and are compared). In training mode each
rank would normalise with its own 2-face batch statistics, which differ from
those of the 4-face batch, so equality needs frozen BN or SyncBN; torch's
``SyncBatchNorm`` refuses CPU tensors (``ValueError: SyncBatchNorm expected
input tensor to be on GPU ...`` under gloo), so frozen BN it is. The critic
(conv encoder + MLP) has no BatchNorm.

The model wrapper is the one the 2DASL configs set,
``mmface3d.GradAverageDataParallel``: mmengine's default
``MMDistributedDataParallel`` does not run TwoDASL's own ``train_step``
(it stops on ``OptimWrapperDict.optim_context``)."""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmface3d.utils.checkpoint import load_checkpoint_file

CONFIG = """
_base_ = ['{repo}/configs/_base_/default_runtime.py']
model = dict(
    type='TwoDASL',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=4),
    backbone=dict(type='MobileNetV1', widen_factor=0.25, in_channels=4,
                  norm_eval=True),
    head=dict(type='ParamRegressionHead', in_channels=256, num_params=62,
              morphable_model=dict(type='MorphableModel')),
    critic=dict(type='MLPCritic', hidden=(16, 16),
                encoder=dict(type='ConvEncoder', channels=(4, 8, 8))))
pipeline = [
    dict(type='FaceCrop', crop_size=120),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MixedBatchSampler', ratio_3d=0.5),
    dataset=dict(
        type='MixedFaceDataset',
        datasets=[
            dict(type='SyntheticFaceDataset', split='3d', length=2, seed=0,
                 cache_dir='{cache}', pipeline=pipeline),
            dict(type='SyntheticFaceDataset', split='2d', length=2, seed=0,
                 cache_dir='{cache}', pipeline=pipeline),
        ]))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1)
optim_wrapper = dict(
    constructor='TwoDASLOptimWrapperConstructor',
    regressor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=1.0)),
    critic=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=1.0)))
param_scheduler = dict(regressor=[], critic=[])
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
log_processor = dict(by_epoch=False)
model_wrapper_cfg = dict(type='mmface3d.GradAverageDataParallel')
randomness = dict(seed=0)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def weights(work_dir):
    return load_checkpoint_file(str(work_dir / 'iter_1.pth'))['state_dict']


def loss_of(log):
    return float(re.search(r'Iter\(train\) \[1/1\].* loss: (\S+)',
                           log).group(1))


@pytest.mark.e2e
def test_two_ranks_give_the_whole_batch_gradient(run_tool, readme_env,
                                                 repo_root, tmp_path):
    config = tmp_path / 'tiny_2dasl_ddp.py'
    config.write_text(CONFIG.format(repo=repo_root, cache=tmp_path / 'cache'))
    start = tmp_path / 'start'
    run_tool('train.py', config, '--work-dir', start, '--cfg-options',
             'optim_wrapper.regressor.optimizer.lr=0',
             'optim_wrapper.critic.optimizer.lr=0', env=readme_env)
    whole = tmp_path / 'whole'
    single = run_tool('train.py', config, '--work-dir', whole,
                      env=readme_env)

    split = tmp_path / 'split'
    env = dict(os.environ, **readme_env)
    env.update(PORT=str(free_port()), CUDA_VISIBLE_DEVICES='',
               PATH=f'{Path(sys.executable).parent}:{env["PATH"]}')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
         str(split), '--cfg-options', 'train_dataloader.batch_size=2'],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert (split / 'iter_1.pth').is_file(), log[-4000:]
    # rank 0 logs its own half, which is not the whole batch
    assert loss_of(log) != pytest.approx(
        loss_of(single.stdout + single.stderr), rel=1e-3)

    w0, w_whole, w_split = weights(start), weights(whole), weights(split)
    assert w0.keys() == w_whole.keys() == w_split.keys()
    moved = dict(backbone=0.0, head=0.0, critic=0.0)
    for key, value in w0.items():
        if not value.is_floating_point() or 'running_' in key:
            continue
        grad_whole = (value - w_whole[key]).double()
        grad_split = (value - w_split[key]).double()
        scale = grad_whole.abs().max().item()
        torch.testing.assert_close(
            grad_split, grad_whole, rtol=1e-4,
            atol=1e-6 * max(scale, 1.0) + 2e-7 * value.abs().max().item(),
            msg=lambda m, key=key: f'{key}: {m}')
        part = key.split('.')[0]
        moved[part] = max(moved[part], scale)
    # every part learned something in that step
    assert all(v > 1e-5 for v in moved.values()), moved
    # the frozen BN statistics did not change
    for key, value in w0.items():
        if 'running_' in key:
            assert torch.equal(value, w_split[key]), key


def test_2dasl_training_configs_set_the_wrapper(repo_root):
    """Every TwoDASL training config can run on several processes: mmengine
    would otherwise wrap it in MMDistributedDataParallel, which cannot run
    its train_step."""
    from mmengine.config import Config
    checked = []
    for path in sorted(repo_root.glob('configs/**/*.py')):
        if path.parent.name == '_base_':
            continue
        cfg = Config.fromfile(path)
        if (cfg.get('model') or {}).get('type') != 'TwoDASL' or \
                cfg.get('train_cfg') is None:
            continue
        checked.append(path.name)
        wrapper = cfg.get('model_wrapper_cfg') or {}
        assert wrapper.get('type') == 'mmface3d.GradAverageDataParallel', \
            path
    assert '2dasl_r50.py' in checked and len(checked) >= 10
