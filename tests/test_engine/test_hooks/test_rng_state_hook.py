"""RngStateHook: the RNG states of the main process in every checkpoint,
restored before the first iteration of a resumed run (and only then), on
tiny mmengine runners whose model draws from Python's, numpy's and torch's
global generators each iteration."""
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import DataLoader

import mmface3d.engine  # noqa: F401  (the weights-only checkpoint loader)
from mmface3d.engine.hooks import RngStateHook
from mmface3d.utils.checkpoint import load_checkpoint_file


class DrawingModel(BaseModel):
    """Each training forward draws one number from each global generator
    (as WPDC's vertex resampling, dropout or a numpy augmentation would)
    and keeps them in ``draws``."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.draws = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            noise = torch.rand(1)
            self.draws.append(
                (random.random(), float(np.random.rand()), noise.item()))
            return dict(loss=((out * (1 + noise))**2).mean())
        return out


def states():
    """The three global generators' states, comparable with ``==``."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return ((version, tuple(internal), gauss),
            (name, tuple(int(k) for k in keys), int(pos), int(has_gauss),
             float(cached)), tuple(torch.get_rng_state().tolist()))


def saved_states(checkpoint):
    """:func:`states` of a checkpoint's ``rng_states``."""
    saved = checkpoint['rng_states']
    version, internal, gauss = saved['python']
    name, keys, pos, has_gauss, cached = saved['numpy']
    return ((version, tuple(internal), gauss),
            (name, tuple(int(k) for k in np.asarray(keys)), int(pos),
             int(has_gauss), float(cached)),
            tuple(saved['torch'].tolist()))


class Spy(Hook):
    """Runs after every other hook (LOWEST): the states at each save and at
    the start of each iteration."""

    priority = 'LOWEST'

    def __init__(self):
        self.at_save = {}
        self.at_iter = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.at_iter[runner.iter + 1] = states()

    def before_save_checkpoint(self, runner, checkpoint):
        self.at_save[runner.iter + 1] = states()  # iter_{N}.pth, N = iter + 1


def run(work_dir, max_iters, spy=None, **kwargs):
    """A tiny run, 3 iterations an epoch (6 samples, batch 2),
    checkpoints every iteration; returns its model."""
    model = DrawingModel()
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=[
                dict(inputs=torch.tensor([float(i), 1.0])) for i in range(6)
            ],
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=0,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False),
            logger=None),
        custom_hooks=[
            dict(type='SafeCheckpointHook'),
            dict(type='RngStateHook')
        ] + ([spy] if spy else []),
        randomness=dict(seed=0),
        default_scope='mmface3d',
        **kwargs)
    runner.train()
    return model


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    """An uninterrupted 6-iteration run: its work dir, draws and spy."""
    work_dir = tmp_path_factory.mktemp('straight')
    spy = Spy()
    model = run(work_dir, 6, spy)
    return SimpleNamespace(work_dir=work_dir, draws=model.draws, spy=spy)


def test_checkpoints_hold_the_states_at_the_save(straight):
    for it in (2, 4, 6):
        checkpoint = load_checkpoint_file(
            str(straight.work_dir / f'iter_{it}.pth'))
        assert saved_states(checkpoint) == straight.spy.at_save[it]
        assert set(checkpoint['rng_states']) >= {'python', 'numpy', 'torch'}
    # the model drew from every generator in between
    first = load_checkpoint_file(str(straight.work_dir / 'iter_2.pth'))
    second = load_checkpoint_file(str(straight.work_dir / 'iter_4.pth'))
    for a, b in zip(saved_states(first), saved_states(second)):
        assert a != b


@pytest.mark.parametrize('resume_at', [2, 3])
def test_resume_continues_the_draws(straight, tmp_path, resume_at):
    """A run resumed from iter_N draws what the uninterrupted run drew in
    iterations N+1..6, and starts its first iteration with the states of
    the checkpoint. iter_3 ends a pass over the data: the next batch starts
    a new DataLoader iterator (in the uninterrupted run after the save, in
    the resumed one before the restore); iter_2 is mid-pass."""
    spy = Spy()
    model = run(tmp_path, 6, spy, resume=True,
                load_from=str(straight.work_dir / f'iter_{resume_at}.pth'))
    assert model.draws == straight.draws[resume_at:]
    assert spy.at_iter[resume_at + 1] == straight.spy.at_save[resume_at]
    assert min(spy.at_iter) == resume_at + 1


def test_load_from_does_not_restore(straight, tmp_path):
    """Weights from a checkpoint (no resume): the run starts from the
    seed's states, as a fresh run does."""
    spy = Spy()
    model = run(tmp_path, 2, spy,
                load_from=str(straight.work_dir / 'iter_4.pth'))
    assert model.draws == straight.draws[:2]
    assert spy.at_iter[1] == straight.spy.at_iter[1]
    assert spy.at_iter[1] != straight.spy.at_save[4]


def test_restores_once_before_the_first_iteration():
    hook = RngStateHook()
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    expected = (random.random(), float(np.random.rand()),
                torch.rand(1).item())
    runner = SimpleNamespace(_resume=True, cfg=dict(resume=True))
    hook.after_load_checkpoint(runner, checkpoint)
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    hook.before_train_iter(runner, 0)
    assert (random.random(), float(np.random.rand()),
            torch.rand(1).item()) == expected
    # later iterations leave the generators alone
    before = states()
    hook.before_train_iter(runner, 1)
    assert states() == before


def test_no_restore_without_resume():
    hook = RngStateHook()
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    runner = SimpleNamespace(_resume=False, cfg=dict(resume=False))
    hook.after_load_checkpoint(runner, checkpoint)
    torch.manual_seed(1)
    before = states()
    hook.before_train_iter(runner, 0)
    assert states() == before


def test_dataloaders_leave_the_global_torch_rng_alone():
    """A DataLoader draws its workers' base seed from torch's global RNG
    each time it starts a pass; after ``before_train`` the train and val
    loaders draw from their own generators."""
    def loader():
        return DataLoader(list(range(4)), batch_size=2)

    runner = SimpleNamespace(
        train_loop=SimpleNamespace(dataloader=loader()),
        val_loop=SimpleNamespace(dataloader=loader()),
        seed=0)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    list(runner.train_loop.dataloader)
    assert not torch.equal(torch.get_rng_state(), before)  # the problem

    RngStateHook().before_train(runner)
    before = torch.get_rng_state()
    for _ in range(2):
        list(runner.train_loop.dataloader)
        list(runner.val_loop.dataloader)
    assert torch.equal(torch.get_rng_state(), before)
    # no val loop, or a loader given by the user, are fine
    runner = SimpleNamespace(
        train_loop=SimpleNamespace(dataloader=loader()), val_loop=None,
        seed=0)
    generator = torch.Generator()
    runner.train_loop.dataloader.generator = generator
    RngStateHook().before_train(runner)
    assert runner.train_loop.dataloader.generator is generator
