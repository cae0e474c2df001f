"""Command-line arguments shared by ``tools/train.py`` and ``tools/test.py``.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher`` and
    ``--local_rank`` to ``parser``."""
    parser.add_argument(
        '--work-dir',
        help='the dir to save logs, checkpoints and results (default: the '
        "config's work_dir, else ./work_dirs/<config name>)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. '
        'default_hooks.logger.interval=10')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (tools/dist_train.sh uses pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def apply_common_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the arguments of :func:`add_common_args` into ``cfg``.

    Sets ``LOCAL_RANK`` from ``--local_rank`` unless the launcher set it,
    ``cfg.launcher``, merges ``--cfg-options`` and sets ``cfg.work_dir``:
    ``--work-dir`` > the config's ``work_dir`` > ``./work_dirs/<config
    name>``.

    Args:
        cfg (Config): The config, modified in place.
        args (argparse.Namespace): The parsed command line; ``args.config``
            is the config file.

    Returns:
        Config: ``cfg``.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg
