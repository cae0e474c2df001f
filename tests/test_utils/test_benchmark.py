"""median_time: call counts, setup, the median of the timed calls and the
device synchronisation around them, on a fake clock (no test here depends
on how long anything takes)."""
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


@pytest.fixture
def fake_clock(monkeypatch):
    """A clock read by median_time that moves only when told; every read
    and every CUDA synchronisation is logged in order."""
    clock = SimpleNamespace(now=0.0, log=[])

    def perf_counter():
        clock.log.append('clock')
        return clock.now

    monkeypatch.setattr(benchmark, 'time',
                        SimpleNamespace(perf_counter=perf_counter))
    monkeypatch.setattr(benchmark.torch.cuda,
                        'synchronize',
                        lambda device=None: clock.log.append('sync'))
    return clock


def test_cuda_synchronised_before_each_clock_read(fake_clock):
    """On a CUDA device the queued kernels finish inside the timed span:
    synchronise, read the clock, run, synchronise, read the clock."""

    def run():
        fake_clock.log.append('run')
        fake_clock.now += 0.5

    assert median_time(run, repeats=2, device='cuda') == 0.5
    assert fake_clock.log == ['sync', 'clock', 'run', 'sync', 'clock'] * 2


def test_no_synchronisation_off_cuda(fake_clock):
    median_time(lambda: fake_clock.log.append('run'),
                repeats=1,
                warmup=1,
                device='cpu')
    median_time(lambda: None, repeats=1)
    assert 'sync' not in fake_clock.log
    assert fake_clock.log[:3] == ['clock', 'run', 'clock']


def test_needs_a_timed_call():
    with pytest.raises(ValueError, match='repeats must be >= 1'):
        median_time(lambda: None, repeats=0)
