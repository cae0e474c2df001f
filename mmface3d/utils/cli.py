"""Command-line plumbing shared by ``tools/train.py`` and ``tools/test.py``.
"""
import argparse
import os
import os.path as osp
import pickle
import re
import sys
from typing import Callable

from mmengine.config import Config, DictAction

from .data_root import DATA_ENV, get_data_root

# Errors that carry a message for the user: the tools print it on one line
# (MMFACE3D_DEBUG=1 shows the traceback). Others are bugs and propagate.
USER_ERRORS = (OSError, ValueError, KeyError, TypeError, RuntimeError,
               FloatingPointError, pickle.UnpicklingError)


# torch re-raises an error of a dataloader worker as "Caught <Type> in
# DataLoader worker process N.\nOriginal Traceback ...<module>.<Type>: <msg>"
WORKER_ERROR = re.compile(r'Caught (\w+) in DataLoader worker process \d+\.'
                          r'\nOriginal Traceback')


def user_message(err: BaseException) -> str:
    """The message of ``err`` for the user: for an error of a dataloader
    worker, the original message without the worker's traceback."""
    message = str(err.args[0]) if isinstance(err, KeyError) and err.args \
        else str(err)
    worker = WORKER_ERROR.match(message)
    if worker:
        starts = [
            m.end() for m in re.finditer(
                rf'^(?:[\w.]+\.)?{worker.group(1)}: ', message, re.M)
        ]
        if starts:
            return message[starts[-1]:].strip()
    return message


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--trust-checkpoint``,
    ``--launcher`` and ``--local_rank`` to ``parser``."""
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
        '--trust-checkpoint',
        action='append',
        default=[],
        metavar='FILE',
        help='allow full unpickling of this checkpoint file (a legacy or '
        'external file that weights-only loading refuses); full unpickling '
        'runs whatever code the file names, so only name files you trust. '
        'Repeat for several files. See docs/trust.md')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (tools/dist_train.sh uses pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def apply_common_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the arguments of :func:`add_common_args` into ``cfg``.

    Sets ``LOCAL_RANK`` from ``--local_rank`` unless the launcher set it,
    ``cfg.launcher``, merges ``--cfg-options``, trusts the
    ``--trust-checkpoint`` files, points ``$MMFACE3D_DATA`` at the config's
    ``data_root`` when it names one (so the BFM, datasets and metrics all
    read the same root) and sets ``cfg.work_dir``: ``--work-dir`` > the
    config's ``work_dir`` > ``./work_dirs/<config name>``.

    Args:
        cfg (Config): The config, modified in place.
        args (argparse.Namespace): The parsed command line; ``args.config``
            is the config file.

    Returns:
        Config: ``cfg``.
    """
    from . import checkpoint
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    for filename in args.trust_checkpoint:
        checkpoint.trust_checkpoint(filename)
    if cfg.get('data_root') is not None:
        os.environ[DATA_ENV] = str(get_data_root(cfg.data_root))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def run_tool(main: Callable[[], object]) -> None:
    """Run a tool's ``main``; an error meant for the user (a missing file,
    a bad config value, a refused checkpoint, a diverged run) ends it with
    its message on one line and exit status 1 instead of a traceback.
    ``MMFACE3D_DEBUG=1`` re-raises it."""
    try:
        main()
    except USER_ERRORS as err:
        if os.environ.get('MMFACE3D_DEBUG'):
            raise
        print(f'{osp.basename(sys.argv[0])}: error: {user_message(err)} '
              '(MMFACE3D_DEBUG=1 shows the traceback)', file=sys.stderr)
        sys.exit(1)
