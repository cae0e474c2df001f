"""Evaluate a checkpoint on a config's test set with mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--out preds.npz] [--show-dir DIR]
        [--exclude-invalid] [--allow-partial-load] [--trust-checkpoint FILE]
        [--work-dir DIR] [--cfg-options key=value ...]

Prints the metric table (for AFLW2000-3D: NME by yaw bucket, their mean and
std, and the all-image mean). ``--out`` saves per-image predictions (params,
68 landmarks in image pixels) for ``tools/analysis_tools/plot_edc.py``;
``--show-dir`` writes an overlay per image. The checkpoint must fit the
model exactly (``--allow-partial-load`` accepts missing or mismatched keys),
and a test image or box that cannot give a meaningful figure stops the run
unless ``--exclude-invalid`` leaves it out, named in the table.
"""
import argparse

from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

import mmface3d.engine  # noqa: F401  (installs the checkpoint loader)
from mmface3d.registry import RUNNERS
from mmface3d.utils import add_common_args, apply_common_args, run_tool
from mmface3d.utils.checkpoint import load_model_weights


def parse_args():
    parser = argparse.ArgumentParser(description='Test a mmface3d model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='save per-image predictions to this .npz file')
    parser.add_argument(
        '--show-dir',
        help='write prediction overlays here (relative to the log dir of '
        'this run unless absolute)')
    parser.add_argument(
        '--interval', type=int, default=1, help='draw every n-th batch')
    parser.add_argument(
        '--exclude-invalid',
        action='store_true',
        help='leave test images whose file or box is unusable (corrupt '
        'JPEG, a box off the image, ...) out of the figures, naming them in '
        'the table, instead of stopping')
    parser.add_argument(
        '--allow-partial-load',
        action='store_true',
        help='accept a checkpoint whose keys or shapes do not match the '
        'model (the rest of the network keeps its initial weights)')
    add_common_args(parser)
    return parser.parse_args()


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the command line into the config."""
    apply_common_args(cfg, args)
    # Loaded strictly in main(), not by the Runner's lenient load_from.
    cfg.load_from = None
    if args.exclude_invalid:
        cfg.test_dataloader.dataset.invalid_samples = 'exclude'
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
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else \
        runner.model
    load_model_weights(model, args.checkpoint, args.allow_partial_load)
    runner.test()


if __name__ == '__main__':
    run_tool(main)
