"""Data throughput: synthetic face renders and a config's dataloader.

Measures, each as the median of ``--repeats`` timed runs after warm-up:

- ``render``: :func:`mmface3d.morphable.renderer.render` alone on a
  batch of ``--batch-size`` random synthetic faces at ``--img-size`` pixels
  (shading + z-buffered rasterisation + compositing);
- ``synthetic batch``: :meth:`SyntheticFaceDataset.render_samples` on a
  batch (random draws, backgrounds, rendering, occluders, annotations);
- ``synthetic per sample``: ``get_data_info`` one index at a time, as a
  dataloader worker does;
- with ``--config``: the ``--phase`` dataloader of the config (its dataset
  and pipeline, e.g. AFLW2000-3D crops) with ``--workers`` workers,
  ``--num-samples`` samples per run, the first batch (worker start-up)
  excluded.

Example::

    python tools/analysis_tools/benchmark_data.py --threads 1 \\
        --config configs/_base_/datasets/synthetic_faces.py --workers 2
"""
import argparse
from typing import Iterator, List, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from mmface3d.utils import median_time


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Throughput of synthetic face rendering and of a '
        "config's dataloader.")
    parser.add_argument(
        '--config', help='config whose dataloader is timed as well')
    parser.add_argument(
        '--phase', choices=['train', 'val', 'test'], default='val',
        help='dataloader of --config to time')
    parser.add_argument(
        '--workers', type=int, default=2,
        help='dataloader workers for --config')
    parser.add_argument(
        '--num-samples', type=int, default=64,
        help='samples per timed run (per-sample and dataloader measures)')
    parser.add_argument(
        '--batch-size', type=int, default=16,
        help='faces per batched render / dataloader batch')
    parser.add_argument(
        '--img-size', type=int, default=120, help='synthetic image side')
    parser.add_argument(
        '--repeats', type=int, default=5, help='timed runs per measure')
    parser.add_argument(
        '--warmup', type=int, default=1,
        help='untimed runs before the timed ones')
    parser.add_argument(
        '--threads', type=int, default=None,
        help='torch CPU threads of this process (default: torch decides)')
    parser.add_argument(
        '--device', default='cpu', help='device the synthetic faces render on')
    parser.add_argument(
        '--skip-synthetic', action='store_true',
        help='time only the --config dataloader')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
        help='override config keys')
    args = parser.parse_args(argv)
    for name in ('num_samples', 'batch_size', 'repeats', 'img_size'):
        if getattr(args, name) < 1:
            raise SystemExit(f'--{name.replace("_", "-")} must be >= 1')
    return args


def synthetic_rows(args: argparse.Namespace) -> List[tuple]:
    """(name, items per run, median seconds per run) of the synthetic
    measures."""
    from mmface3d.datasets.synthetic_face_dataset import SyntheticFaceDataset
    from mmface3d.morphable.renderer import render
    dataset = SyntheticFaceDataset(
        split='3d',
        length=max(args.batch_size, args.num_samples),
        img_size=args.img_size,
        device=args.device,
        pipeline=[])
    _, scene = dataset.scene(range(args.batch_size))
    batch = list(range(args.batch_size))
    samples = list(range(args.num_samples))
    timing = dict(
        repeats=args.repeats, warmup=args.warmup, device=args.device)
    return [
        (f'render, batch {args.batch_size}', args.batch_size,
         median_time(lambda: render(**scene), **timing)),
        (f'synthetic batch {args.batch_size} (render_samples)',
         args.batch_size,
         median_time(lambda: dataset.render_samples(batch), **timing)),
        ('synthetic per sample (get_data_info)', args.num_samples,
         median_time(lambda: [dataset.get_data_info(i) for i in samples],
                     **timing)),
    ]


def dataloader_row(args: argparse.Namespace) -> tuple:
    """(name, samples per run, median seconds per run) of the config's
    dataloader."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmface3d'))
    key = f'{args.phase}_dataloader'
    if key not in cfg:
        raise KeyError(f'{args.config} has no {key}')
    loader_cfg = cfg[key].copy()
    loader_cfg.update(
        num_workers=args.workers,
        persistent_workers=False,
        batch_size=args.batch_size)
    if args.workers == 0:
        loader_cfg.pop('prefetch_factor', None)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = max(1, -(-args.num_samples // args.batch_size))
    if len(loader) < batches + 1:
        raise ValueError(
            f'the {args.phase} dataloader has {len(loader)} batches; '
            f'{batches + 1} are needed (one warm-up batch + '
            f'{args.num_samples} samples): lower --num-samples or '
            '--batch-size')

    def start() -> Iterator:
        iterator = iter(loader)
        next(iterator)  # worker start-up, excluded
        return iterator

    def run(iterator: Iterator) -> None:
        for _ in range(batches):
            next(iterator)

    name = (f'{type(loader.dataset).__name__} ({args.phase}), '
            f'{args.workers} workers')
    return name, batches * args.batch_size, median_time(
        run, args.repeats, args.warmup, setup=start)


def format_table(rows: List[tuple]) -> str:
    """Rows ``(name, items per run, seconds per run)`` as a text table of
    the throughput."""
    header = ('measure', 'items/s', 'ms/item')
    lines = [(name, f'{items / seconds:.1f}', f'{1000 * seconds / items:.2f}')
             for name, items, seconds in rows]
    widths = [
        max(len(r[i]) for r in [header] + lines) for i in range(len(header))
    ]
    fmt = '  '.join(f'{{:<{w}}}' if i == 0 else f'{{:>{w}}}'
                    for i, w in enumerate(widths))
    rule = '  '.join('-' * w for w in widths)
    return '\n'.join([fmt.format(*header), rule] +
                     [fmt.format(*r) for r in lines])


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    rows = [] if args.skip_synthetic else synthetic_rows(args)
    if args.config:
        rows.append(dataloader_row(args))
    if not rows:
        raise SystemExit('nothing to time: --skip-synthetic needs --config')
    print(f'torch threads: {torch.get_num_threads()}, image '
          f'{args.img_size}x{args.img_size}, median of {args.repeats} runs '
          f'after {args.warmup} warm-up')
    print(format_table(rows))


if __name__ == '__main__':
    main()
