"""SafeCheckpointHook: every checkpoint of a run loads weights-only."""
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from mmface3d.engine.hooks import SafeCheckpointHook
from mmface3d.registry import HOOKS
from mmface3d.utils.checkpoint import TYPE_TAG, load_checkpoint_file

REPO = Path(__file__).resolve().parents[3]


class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=(out**2).mean())
        return out


class AddsNumpyState(Hook):
    """A hook of ordinary priority that puts numpy state into checkpoints
    (as e.g. an EMA or a sampler-state hook might)."""

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint['extra'] = dict(
            table=np.arange(6.0).reshape(2, 3), best=np.float64(0.25))


def test_encodes_the_checkpoint_in_place():
    hook = SafeCheckpointHook()
    buffer = HistoryBuffer([1.0, 2.0], [1, 1])
    checkpoint = dict(
        meta=dict(seed=np.int64(3)),
        message_hub=dict(log_scalars={'train/loss': buffer}),
        state_dict={'w': torch.ones(2)})
    same = checkpoint
    hook.before_save_checkpoint(None, checkpoint)
    assert checkpoint is same
    assert checkpoint['meta']['seed'] == 3 and \
        type(checkpoint['meta']['seed']) is int
    encoded = checkpoint['message_hub']['log_scalars']['train/loss']
    assert encoded[TYPE_TAG] == 'HistoryBuffer'
    torch.testing.assert_close(checkpoint['state_dict']['w'], torch.ones(2))


def test_runs_after_every_other_hook(tmp_path):
    assert SafeCheckpointHook.priority == 'LOWEST'
    runner = Runner(
        model=TinyModel(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.tensor([float(i), 1.0]))
                     for i in range(4)],
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=2),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False)),
        # listed first, still run last
        custom_hooks=[dict(type='SafeCheckpointHook'),
                      AddsNumpyState()],
        default_scope='mmface3d')
    runner.train()
    for name in ('iter_1.pth', 'iter_2.pth'):
        plain = torch.load(tmp_path / name, weights_only=True)
        assert plain['extra']['best'] == 0.25
        loaded = load_checkpoint_file(str(tmp_path / name))
        np.testing.assert_array_equal(loaded['extra']['table'],
                                      np.arange(6.0).reshape(2, 3))
        assert isinstance(loaded['message_hub']['log_scalars']['train/loss'],
                          HistoryBuffer)


def test_in_every_run_of_the_default_runtime():
    cfg = Config.fromfile(REPO / 'configs/_base_/default_runtime.py')
    assert dict(type='SafeCheckpointHook') in cfg.custom_hooks
    assert isinstance(HOOKS.build(dict(type='SafeCheckpointHook')),
                      SafeCheckpointHook)
