"""Inference speed of a model: the network alone and the whole pipeline.

    python tools/analysis_tools/benchmark.py CONFIG CHECKPOINT \
        [--batch-sizes 1 32] [--repeats 10] [--device cpu]

"model" times ``test_step`` on a ready batch (preprocess, backbone, head,
decoding of params into landmarks and pose); "pipeline" adds what a user's
images go through first: JPEG decode, crop, normalisation and collation of
the test dataset's samples, in this process. Prints the median over
repeats, warm-up excluded, in images per second.
"""
import argparse
import itertools
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmface3d.registry import DATASETS, MODELS
from mmface3d.utils import median_time


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 32])
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmface3d'))
    device = torch.device(args.device)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.to(device).eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)

    def load(batch_size, offset):
        return pseudo_collate([
            dataset[(offset + i) % len(dataset)] for i in range(batch_size)
        ])

    rows = []
    with torch.no_grad():
        for batch_size in args.batch_sizes:
            ready = load(batch_size, 0)
            model_s = median_time(lambda: model.test_step(ready),
                                  args.repeats, args.warmup, device)
            counter = itertools.count()
            pipe_s = median_time(
                lambda: model.test_step(
                    load(batch_size, next(counter) * batch_size)),
                args.repeats, args.warmup, device)
            rows.append((batch_size, batch_size / model_s,
                         batch_size / pipe_s, pipe_s / batch_size * 1e3))
    print(f'{args.config} on {device} ({torch.get_num_threads()} threads), '
          f'median of {args.repeats}')
    print('| batch | model (img/s) | pipeline (img/s) | pipeline ms/img |')
    print('|------:|--------------:|-----------------:|----------------:|')
    for batch, model_rate, pipe_rate, ms in rows:
        print(f'| {batch:>5} | {model_rate:>13.1f} | {pipe_rate:>16.1f} | '
              f'{ms:>15.2f} |')


if __name__ == '__main__':
    main()
