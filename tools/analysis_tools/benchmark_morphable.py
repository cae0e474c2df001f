"""Time the morphable model: landmarks and dense vertices from params.

Prints a table of the median wall time over repeats (warm-up excluded) for
``MorphableModel.landmarks`` and ``MorphableModel.reconstruct`` on the
chosen device, e.g.::

    python tools/analysis_tools/benchmark_morphable.py --device cpu
"""
import argparse
from typing import Optional, Sequence

import torch

from mmface3d.morphable import MorphableModel
from mmface3d.utils import median_time


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--layout', default='3ddfa',
                        choices=['3ddfa', '3ddfa_v2'])
    parser.add_argument('--landmark-batch', type=int, default=1024)
    parser.add_argument('--dense-batch', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--data-root', default=None)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    device = torch.device(args.device)
    model_path = 'bfm' if args.layout == '3ddfa' else \
        'bfm/bfm_noneck_v3.pkl'
    model = MorphableModel(
        model_path=model_path, layout=args.layout,
        data_root=args.data_root).to(device)
    rows = []
    with torch.no_grad():
        for name, batch, fn in (('68 landmarks', args.landmark_batch,
                                 model.landmarks),
                                ('dense vertices', args.dense_batch,
                                 model.reconstruct)):
            params = model.dewhiten(
                torch.randn(batch, model.num_params, device=device))
            ms = median_time(lambda: fn(params), args.repeats, args.warmup,
                             device) * 1e3
            rows.append((name, batch, ms, batch / ms * 1e3))
    threads = torch.get_num_threads()
    print(f'MorphableModel ({args.layout}, {model.num_vertices} vertices) '
          f'on {device} ({threads} threads), median of {args.repeats}')
    print(f'| {"output":<15} | {"batch":>5} | {"ms / batch":>10} | '
          f'{"faces / s":>10} |')
    print(f'|{"-" * 17}|{"-" * 7}|{"-" * 12}|{"-" * 12}|')
    for name, batch, ms, rate in rows:
        print(f'| {name:<15} | {batch:>5} | {ms:>10.3f} | {rate:>10.0f} |')


if __name__ == '__main__':
    main()
