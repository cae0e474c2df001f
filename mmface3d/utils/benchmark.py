"""Wall-clock timing for the benchmark tools."""
import statistics
import time
from typing import Any, Callable, Optional, Union

import torch


def median_time(fn: Callable[..., Any],
                repeats: int,
                warmup: int = 0,
                device: Optional[Union[str, torch.device]] = None,
                setup: Optional[Callable[[], Any]] = None) -> float:
    """Median wall time of a call, in seconds.

    ``fn`` is called ``warmup`` times untimed, then ``repeats`` times timed.
    On a CUDA ``device`` the device is synchronised before the clock starts
    and before it stops, so that the kernels a call queues count in its own
    time.

    Args:
        fn (Callable): The timed call; with ``setup`` it takes the value
            ``setup`` returned.
        repeats (int): Timed calls, at least 1.
        warmup (int): Untimed calls before them. Defaults to 0.
        device (str | torch.device, optional): Device ``fn`` computes on.
            Defaults to None (nothing to synchronise).
        setup (Callable, optional): Untimed call before each call of ``fn``
            (warm-up included), e.g. starting dataloader workers. Defaults
            to None.

    Returns:
        float: The median of the ``repeats`` timed calls.
    """
    if repeats < 1:
        raise ValueError(f'repeats must be >= 1, got {repeats}')
    cuda = device is not None and torch.device(device).type == 'cuda'
    times = []
    for i in range(warmup + repeats):
        args = () if setup is None else (setup(), )
        if cuda:
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn(*args)
        if cuda:
            torch.cuda.synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
        # Release what setup made (dataloader workers) before the next one.
        del args
    return statistics.median(times)
