"""Random number generator states in run checkpoints, for exact resumes."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

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
    dataloader workers (seeded per worker, advanced by mmengine to the
    resumed iteration). ``configs/_base_/default_runtime.py`` adds it to
    every run.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

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
        if runner.cfg.get('resume', False) and KEY in checkpoint:
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
