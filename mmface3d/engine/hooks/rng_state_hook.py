"""Random number generator states in run checkpoints, for exact resumes."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmface3d.registry import HOOKS

KEY = 'rng_states'


@HOOKS.register_module()
class RngStateHook(Hook):
    """Save the main process's RNG states (Python, numpy, torch, CUDA) in
    every checkpoint and restore them when the run resumes, just before its
    first iteration.

    The model's own randomness (WPDC's resampled vertices, dropout, the
    critic) then continues as if the run had not stopped. Data order and
    augmentation are reproduced by the samplers (seeded per epoch) and the
    dataloader workers (seeded per worker by mmengine's ``worker_init_fn``;
    an ``IterBasedTrainLoop`` replays the finished iterations through them
    on resume). ``configs/_base_/default_runtime.py`` adds it to every run.

    Before training it gives the train and val ``DataLoader`` a generator
    of their own: a ``DataLoader`` otherwise draws its workers' base seed
    from torch's global RNG each time it starts a pass (every epoch, every
    validation), between the checkpoint and the next model step of the
    uninterrupted run but before the restore of a resumed one, so that a
    run resumed at an epoch boundary or after a validation would see shifted
    model randomness. The base seed itself changes nothing: mmengine's
    ``worker_init_fn`` reseeds every worker.

    Not reproduced: random augmentation in the main process
    (``num_workers=0``), whose numpy / Python draws the restore (after the
    first resumed batch is loaded) puts back by one batch, and the state of
    persistent workers across the epochs of an ``EpochBasedTrainLoop``
    (mmengine starts new workers at the resumed epoch).
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

    def before_train(self, runner: Runner) -> None:
        for loop in (runner.train_loop, runner.val_loop):
            loader = getattr(loop, 'dataloader', None)
            if isinstance(loader, DataLoader) and loader.generator is None:
                loader.generator = torch.Generator().manual_seed(runner.seed)

    def before_save_checkpoint(self, runner: Runner,
                               checkpoint: dict) -> None:
        states = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available():
            states['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint[KEY] = states

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        # Runner.resume and Runner.load_checkpoint (load_from) both call
        # this; `_resume` (as mmengine's EMAHook reads it) tells them
        # apart, also for a Runner built without a config
        if getattr(runner, '_resume', False) and KEY in checkpoint:
            self._pending = checkpoint[KEY]

    def before_train_iter(self, runner: Runner, batch_idx: int,
                          data_batch=None) -> None:
        if self._pending is None:
            return
        states, self._pending = self._pending, None
        version, internal, gauss = states['python']
        random.setstate((version, tuple(internal), gauss))
        np.random.set_state(tuple(states['numpy']))
        torch.set_rng_state(states['torch'].cpu())
        if 'cuda' in states and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in states['cuda']])
