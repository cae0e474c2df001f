"""ProgressBarHook: a tqdm bar over the val / test batches."""
import re
from types import SimpleNamespace

import pytest

from mmface3d.engine.hooks import ProgressBarHook
from mmface3d.registry import HOOKS

NUM_BATCHES = 7


def fake_runner():
    loop = SimpleNamespace(dataloader=list(range(NUM_BATCHES)))
    return SimpleNamespace(val_loop=loop, test_loop=loop)


def run_loop(hook, phase):
    """The hook calls of one val / test epoch over a fake runner; returns
    the hook's bar."""
    runner = fake_runner()
    getattr(hook, f'before_{phase}_epoch')(runner)
    bar = hook._bar
    for i in range(NUM_BATCHES):
        getattr(hook, f'after_{phase}_iter')(runner, i, None, None)
    assert bar.total == NUM_BATCHES
    if not bar.disable:  # a disabled tqdm does not count
        assert bar.n == NUM_BATCHES
    getattr(hook, f'after_{phase}_epoch')(runner, dict(nme=1.0))
    assert hook._bar is None
    return bar


@pytest.mark.parametrize('phase', ['val', 'test'])
def test_bar_reaches_the_end_and_closes(phase, capsys):
    hook = HOOKS.build(dict(type='ProgressBarHook', disable=False))
    run_loop(hook, phase)
    err = capsys.readouterr().err
    # tqdm redraws the line with '\r'; the last draw is the full bar,
    # then close() ends the line
    last = err.split('\r')[-1]
    assert re.match(rf'{phase}: 100%\|.*\| {NUM_BATCHES}/{NUM_BATCHES} ',
                    last), err
    assert last.endswith('\n')
    # a second epoch starts a fresh bar
    run_loop(hook, phase)
    assert f'{NUM_BATCHES}/{NUM_BATCHES}' in capsys.readouterr().err


@pytest.mark.parametrize('disable', [True, None])
def test_silent_when_disabled_or_not_a_terminal(disable, capsys):
    """disable=True never draws; None draws on terminals only (pytest's
    captured stderr is not one)."""
    hook = ProgressBarHook(disable=disable)
    run_loop(hook, 'val')
    run_loop(hook, 'test')
    out = capsys.readouterr()
    assert out.err == '' and out.out == ''


def test_iterations_without_a_bar_are_ignored():
    hook = ProgressBarHook(disable=False)
    hook.after_val_iter(fake_runner(), 0)
    hook.after_test_epoch(fake_runner())
    assert hook._bar is None
