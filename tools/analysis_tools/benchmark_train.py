"""Training speed of 2DASL: images per second and peak memory of one
training iteration (all five terms, the cycle pass and the critic step).

    python tools/analysis_tools/benchmark_train.py [--backbones mbv1-0.5 r50]
        [--batch-size 32] [--repeats 5] [--device cpu] [--amp] \\
        [--channels-last]

Each backbone runs in its own process (so its peak memory is its own) on a
ready batch of synthetic faces (half 3D-annotated, half 2D-only, with
landmark maps) through ``TwoDASL.train_step`` with both optimisers of
``configs/2dasl/2dasl_mbv1-0.5_quickstart_synthetic-120x120.py``. Peak
memory is the process's peak resident set on the CPU and
``torch.cuda.max_memory_allocated`` on a GPU. ``--amp`` runs the regressor
and the critic under bf16 autocast (AmpOptimWrapper), ``--channels-last``
stores images and weights in NHWC.
"""
import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmface3d.registry import DATASETS, MODELS
from mmface3d.utils import median_time

# the checkout's, wherever the tool is run from
CONFIG = str(
    Path(__file__).resolve().parents[2] /
    'configs/2dasl/2dasl_mbv1-0.5_quickstart_synthetic-120x120.py')
BACKBONES = {
    'mbv1-0.5': (dict(type='MobileNetV1', widen_factor=0.5, in_channels=4),
                 512),
    'r50': (dict(type='ResNet', depth=50, in_channels=4), 2048),
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--backbones', nargs='+', choices=sorted(BACKBONES),
        default=['mbv1-0.5', 'r50'])
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast')
    parser.add_argument(
        '--channels-last', action='store_true', help='NHWC memory format')
    parser.add_argument('--one', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> dict:
    """Time one backbone's training step in this process."""
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmface3d')
    backbone, channels = BACKBONES[args.one]
    cfg.model.backbone = backbone
    cfg.model.head.in_channels = channels
    device = torch.device(args.device)
    model = MODELS.build(cfg.model).to(device)
    memory_format = torch.channels_last if args.channels_last else \
        torch.contiguous_format
    model = model.to(memory_format=memory_format)
    if args.amp:
        for name in ('regressor', 'critic'):
            cfg.optim_wrapper[name].update(
                type='AmpOptimWrapper', dtype='bfloat16')
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    half = args.batch_size // 2
    sets = [
        # rendered once here: no sample cache written into the cwd
        DATASETS.build(dict(d, length=max(half, 1), cache_dir=None))
        for d in cfg.train_dataloader.dataset.datasets
    ]
    batch = pseudo_collate([sets[0][i] for i in range(half)] +
                           [sets[1][i]
                            for i in range(args.batch_size - half)])
    batch['inputs'] = [
        x.to(memory_format=memory_format) for x in batch['inputs']
    ]
    model.train()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    seconds = median_time(lambda: model.train_step(batch, optim_wrapper),
                          args.repeats, args.warmup, device)
    peak = torch.cuda.max_memory_allocated(device) if \
        device.type == 'cuda' else \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return dict(
        backbone=args.one,
        images_per_s=args.batch_size / seconds,
        seconds=seconds,
        peak_gb=peak / 2**30)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.one:
        print(json.dumps(measure(args)))
        return
    rows = []
    for name in args.backbones:
        command = [sys.executable, __file__, '--one', name] + [
            a for a in (argv if argv is not None else sys.argv[1:])
            if a not in args.backbones and a != '--backbones'
        ]
        out = subprocess.run(
            command, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    mode = ', '.join(
        ['bf16 autocast'] * args.amp + ['channels_last'] * args.channels_last)
    print(f'TwoDASL training step on {args.device} '
          f'({torch.get_num_threads()} threads), batch {args.batch_size}'
          f'{", " + mode if mode else ""}, median of {args.repeats}')
    print('| backbone (4 channels) | s / iteration | img/s | peak memory '
          '(GB) |')
    print('|---|---:|---:|---:|')
    for row in rows:
        print(f'| {row["backbone"]} | {row["seconds"]:.2f} | '
              f'{row["images_per_s"]:.1f} | {row["peak_gb"]:.2f} |')


if __name__ == '__main__':
    main()
