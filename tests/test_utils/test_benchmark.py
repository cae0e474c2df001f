"""median_time: call counts, setup, the median and real elapsed time."""
import time
from types import SimpleNamespace

import pytest

from mmface3d.utils import benchmark, median_time


def test_counts_warmup_and_repeats():
    calls = []
    median_time(lambda: calls.append('run'), repeats=3, warmup=2)
    assert calls == ['run'] * 5


def test_setup_before_every_call():
    made, seen = [], []

    def setup():
        made.append(len(made))
        return made[-1]

    median_time(seen.append, repeats=2, warmup=1, setup=setup)
    assert made == seen == [0, 1, 2]


def test_median_of_timed_calls_only(monkeypatch):
    """A fake clock: the warm-up call takes 100 s, the timed ones 3, 1, 2
    and 7 s; their median is (2 + 3) / 2."""
    durations = iter([100.0, 3.0, 1.0, 2.0, 7.0])
    clock = SimpleNamespace(now=0.0)

    def run():
        clock.now += next(durations)

    monkeypatch.setattr(benchmark, 'time',
                        SimpleNamespace(perf_counter=lambda: clock.now))
    assert median_time(run, repeats=4, warmup=1) == 2.5


def test_sleep_is_timed(device):
    seconds = median_time(
        lambda: time.sleep(0.02), repeats=3, warmup=1, device=device)
    assert 0.02 <= seconds < 0.2


def test_needs_a_timed_call():
    with pytest.raises(ValueError, match='repeats must be >= 1'):
        median_time(lambda: None, repeats=0)
