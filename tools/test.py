"""Evaluate a checkpoint on a config's test set with mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--out preds.npz] [--show-dir DIR]
        [--work-dir DIR] [--cfg-options key=value ...]

Prints the metric table (for AFLW2000-3D: NME by yaw bucket, their mean and
std, and the all-image mean). ``--out`` saves per-image predictions (params,
68 landmarks in image pixels) for ``tools/analysis_tools/plot_edc.py``;
``--show-dir`` writes an overlay per image.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mmface3d  # noqa: F401  (version check, checkpoint loader)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a mmface3d model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save logs and evaluation results')
    parser.add_argument(
        '--out', help='save per-image predictions to this .npz file')
    parser.add_argument(
        '--show-dir',
        help='write prediction overlays here (relative to the log dir of '
        'this run unless absolute)')
    parser.add_argument(
        '--interval', type=int, default=1, help='draw every n-th batch')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=64')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the command line into the config."""
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show_dir is not None:
        hook = cfg.default_hooks.get('visualization')
        if hook is None or hook.get('type') != 'Face3DVisualizationHook':
            raise ValueError(
                f'{args.config}: --show-dir needs default_hooks.'
                'visualization = dict(type="Face3DVisualizationHook")')
        hook.update(enable=True, out_dir=args.show_dir,
                    interval=args.interval)
    if args.out is not None:
        dump = dict(type='DumpPredictions', out_file=args.out)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, dict) and 'metrics' in evaluator:
            evaluator.metrics = list(evaluator.metrics) + [dump]
        elif isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = list(evaluator) + [dump]
        else:
            cfg.test_evaluator = [evaluator, dump]
    return cfg


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    main()
