"""A progress bar for validation and testing."""
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import Runner
from tqdm import tqdm

from mmface3d.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show a tqdm bar with the rate and the time left while a validation or
    test loop runs (training reports its ETA in the log lines).

    The bar is drawn on the main process when stderr is a terminal; in a
    log file (not a terminal) tqdm stays silent and the logger's lines
    remain.

    Args:
        disable (bool, optional): True never draws, False always, None
            draws on terminals only. Defaults to None.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, disable: Optional[bool] = None) -> None:
        self.disable = disable
        self._bar: Optional[tqdm] = None

    def _start(self, runner: Runner, loader, phase: str) -> None:
        self._bar = tqdm(
            total=len(loader),
            desc=phase,
            unit='batch',
            disable=self.disable if is_main_process() else True,
            dynamic_ncols=True)

    def _step(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def before_val_epoch(self, runner: Runner) -> None:
        self._start(runner, runner.val_loop.dataloader, 'val')

    def before_test_epoch(self, runner: Runner) -> None:
        self._start(runner, runner.test_loop.dataloader, 'test')

    def after_val_iter(self, runner: Runner, batch_idx: int,
                       data_batch=None, outputs=None) -> None:
        self._step()

    def after_test_iter(self, runner: Runner, batch_idx: int,
                        data_batch=None, outputs=None) -> None:
        self._step()

    def after_val_epoch(self, runner: Runner, metrics=None) -> None:
        self._stop()

    def after_test_epoch(self, runner: Runner, metrics=None) -> None:
        self._stop()
