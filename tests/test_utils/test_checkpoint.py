"""mmface3d's local checkpoint loader under torch's weights-only default."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

import mmface3d.utils.checkpoint as checkpoint_module
from mmface3d.utils.checkpoint import load_from_local_checked


class TinyModel(BaseModel):
    """One linear layer trained to output zero."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=(out**2).mean())
        return out


def make_runner(work_dir, max_iters, **kwargs):
    dataset = [dict(inputs=torch.tensor([float(i), 1.0])) for i in range(4)]
    return Runner(
        model=TinyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        default_scope='mmface3d',
        **kwargs)


@pytest.fixture(scope='module')
def run_checkpoint(tmp_path_factory):
    """A work dir after 2 training iterations, and its checkpoint."""
    work_dir = tmp_path_factory.mktemp('run')
    runner = make_runner(work_dir, max_iters=2)
    runner.train()
    return work_dir, work_dir / 'iter_2.pth', runner.model.state_dict()


def test_installed_for_local_paths_only(run_checkpoint):
    _, path, _ = run_checkpoint
    assert CheckpointLoader._get_checkpoint_loader(str(path)) is \
        load_from_local_checked
    assert CheckpointLoader._get_checkpoint_loader('https://x/y.pth') is not \
        load_from_local_checked


def test_installed_by_the_engine_package():
    """The tools import ``mmface3d.engine`` for the loader (a fresh
    interpreter: this one has it installed already)."""
    code = ('from mmengine.runner.checkpoint import CheckpointLoader\n'
            'import mmface3d.engine\n'
            "loader = CheckpointLoader._get_checkpoint_loader('a/b.pth')\n"
            'print(loader.__module__, loader.__name__)\n')
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    assert out.split() == ['mmface3d.utils.checkpoint',
                           'load_from_local_checked']


def test_runner_checkpoint_needs_more_than_weights_only(run_checkpoint):
    _, path, _ = run_checkpoint
    # The premise: torch's default refuses mmengine's MessageHub state.
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    loaded = load_from_local_checked(str(path))
    assert loaded['meta']['iter'] == 2
    assert 'message_hub' in loaded and 'optimizer' in loaded


def test_resume_continues_the_iteration_count(run_checkpoint):
    work_dir, _, trained = run_checkpoint
    runner = make_runner(work_dir, max_iters=4, resume=True)
    runner.load_or_resume()
    assert runner.iter == 2
    for key, value in trained.items():
        torch.testing.assert_close(runner.model.state_dict()[key], value)
    momentum = runner.optim_wrapper.optimizer.state_dict()['state']
    assert momentum, 'optimizer state (momentum buffers) was not resumed'
    runner.train()
    assert runner.iter == 4
    assert (work_dir / 'iter_4.pth').is_file()


def test_load_from_a_run_checkpoint(run_checkpoint, tmp_path):
    _, path, trained = run_checkpoint
    runner = make_runner(tmp_path, max_iters=2, load_from=str(path))
    runner.load_or_resume()
    assert runner.iter == 0
    for key, value in trained.items():
        torch.testing.assert_close(runner.model.state_dict()[key], value)


def test_plain_state_dict_loads_weights_only(tmp_path, monkeypatch):
    model = TinyModel()
    path = tmp_path / 'converted.pth'
    weights = {
        'linear.weight': torch.tensor([[1.0, 2.0]]),
        'linear.bias': torch.tensor([3.0])
    }
    torch.save(dict(meta=dict(converter='test'), state_dict=weights), path)
    calls = []
    torch_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return torch_load(*args, **kwargs)

    monkeypatch.setattr(checkpoint_module.torch, 'load', recording_load)
    checkpoint = load_checkpoint(model, str(path), map_location='cpu')
    assert calls == [True]
    assert checkpoint['meta']['converter'] == 'test'
    torch.testing.assert_close(model.linear.weight, weights['linear.weight'])


class WritesMarker:
    """Unpickling this object writes a file: proof that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (np.save, (self.path, np.zeros(1)))


def test_external_pickled_objects_are_refused(tmp_path):
    marker = tmp_path / 'marker.npy'
    path = tmp_path / 'external.pth'
    torch.save({'state_dict': {}, 'extra': WritesMarker(str(marker))}, path)
    with pytest.raises(pickle.UnpicklingError, match='numpy.save'):
        load_from_local_checked(str(path))
    assert not marker.exists()


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_from_local_checked(str(tmp_path / 'none.pth'))
