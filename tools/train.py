"""Train a model from a config with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--trust-checkpoint FILE] [--cfg-options key=value ...]

Multi-GPU: ``bash tools/dist_train.sh CONFIG NUM_GPUS`` (torchrun).
"""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner, find_latest_checkpoint

import mmface3d.engine  # noqa: F401  (installs the checkpoint loader)
from mmface3d.registry import RUNNERS
from mmface3d.utils import add_common_args, apply_common_args, run_tool


def parse_args():
    parser = argparse.ArgumentParser(description='Train a mmface3d model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest '
        'checkpoint in the work dir when no path is given (an error when '
        'there is none)')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = apply_common_args(Config.fromfile(args.config), args)
    if cfg.get('train_dataloader') is None or cfg.get('train_cfg') is None:
        raise ValueError(
            f'{args.config} is an evaluation-only config (no '
            'train_dataloader / train_cfg): use it with tools/test.py, and '
            'train with a training config (docs/getting_started.md)')
    if args.amp:
        # one wrapper, or one per optimiser (TwoDASLOptimWrapperConstructor)
        wrappers = [cfg.optim_wrapper[name] for name in ('regressor', 'critic')
                    if name in cfg.optim_wrapper] or [cfg.optim_wrapper]
        for wrapper in wrappers:
            wrapper.type = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        if find_latest_checkpoint(cfg.work_dir) is None:
            raise FileNotFoundError(
                f'--resume: no checkpoint to resume from in {cfg.work_dir} '
                '(no last_checkpoint file); check --work-dir, or leave out '
                '--resume to start a new run')
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    run_tool(main)
