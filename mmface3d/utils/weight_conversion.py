"""Shared steps of the converters in ``tools/model_converters``.

A released checkpoint is read with ``weights_only=True``
(:func:`~mmface3d.utils.checkpoint.load_checkpoint_file`: it only holds
tensors and numbers), its ``module.`` (DataParallel) prefixes are removed,
keys are renamed into a :class:`~mmface3d.models.Face3DRegressor` state dict
(``backbone.*``, ``head.fc.*``) and the result is written with ``meta`` as a
plain checkpoint that mmengine's ``load_checkpoint`` / ``load_from`` read
with ``weights_only=True``.
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from mmengine.utils import mkdir_or_exist
from torch import Tensor

from mmface3d.version import __version__
from .checkpoint import load_checkpoint_file, trust_checkpoint
from .cli import run_tool

DATA_PARALLEL_PREFIX = 'module.'


def load_released_checkpoint(
    path: str, container_keys: Sequence[str] = ('state_dict', )
) -> Tuple[Dict[str, Tensor], dict]:
    """Read a released checkpoint and unwrap its state dict.

    Args:
        path (str): The released file (zip or legacy torch format).
        container_keys (Sequence[str]): Keys that may hold the state dict,
            tried in order. Defaults to ``('state_dict',)``.

    Returns:
        tuple[dict, dict]: The state dict without ``module.`` prefixes, and
        the remaining top-level entries that are plain numbers or strings
        (e.g. ``epoch``).
    """
    checkpoint = load_checkpoint_file(path, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{path}: expected a dict, got '
                         f'{type(checkpoint).__name__}')
    for key in container_keys:
        if isinstance(checkpoint.get(key), dict):
            state_dict = checkpoint[key]
            break
    else:
        raise KeyError(f'{path}: none of the keys {list(container_keys)} '
                       f'holds a state dict; top-level keys: '
                       f'{sorted(checkpoint)}')
    extra = {
        k: v
        for k, v in checkpoint.items()
        if isinstance(v, (int, float, str))
    }
    state_dict = OrderedDict((k[len(DATA_PARALLEL_PREFIX):] if k.
                              startswith(DATA_PARALLEL_PREFIX) else k, v)
                             for k, v in state_dict.items())
    return state_dict, extra


def rename_to_regressor(state_dict: Dict[str, Tensor],
                        head_keys: Dict[str, str],
                        drop_prefixes: Sequence[str] = (),
                        source: str = 'checkpoint') -> Dict[str, Tensor]:
    """Map released keys onto ``Face3DRegressor`` keys.

    Args:
        state_dict (dict[str, Tensor]): Released keys (without ``module.``).
        head_keys (dict[str, str]): Released key -> regressor key for the
            parameter head, e.g. ``{'fc.weight': 'head.fc.weight'}``; all
            must be present.
        drop_prefixes (Sequence[str]): Prefixes of released keys that the
            regressor does not use (e.g. 3DDFA_V2's ``fc_lm.``). Defaults to
            ().
        source (str): Name of the source in error messages.

    Returns:
        dict[str, Tensor]: The head keys renamed, every other key under
        ``backbone.``.
    """
    missing = [k for k in head_keys if k not in state_dict]
    if missing:
        raise KeyError(f'{source}: head keys {missing} are missing; '
                       f'found {sorted(state_dict)[:8]} ...')
    converted = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(tuple(drop_prefixes)):
            continue
        converted[head_keys.get(key, f'backbone.{key}')] = value
    return converted


def save_converted(state_dict: Dict[str, Tensor],
                   dst: str,
                   src: str,
                   converter: str,
                   extra_meta: Optional[dict] = None) -> None:
    """Write ``{'meta': ..., 'state_dict': ...}`` with tensors and plain
    values only.

    Args:
        state_dict (dict[str, Tensor]): Converted state dict.
        dst (str): Output path; its directory is created.
        src (str): Source file, recorded in ``meta['converted_from']``.
        converter (str): Converter name, recorded in ``meta['converter']``.
        extra_meta (dict, optional): More plain entries for ``meta``.
    """
    meta = dict(
        converted_from=osp.basename(src),
        converter=converter,
        mmface3d_version=__version__)
    meta.update(extra_meta or {})
    mkdir_or_exist(osp.dirname(osp.abspath(dst)))
    torch.save(
        dict(
            meta=meta,
            state_dict=OrderedDict((k, v.detach().cpu().contiguous())
                                   for k, v in state_dict.items())), dst)


def convert_released(
    src: str,
    dst: str,
    converter: str,
    head_keys: Dict[str, str],
    drop_prefixes: Sequence[str] = (),
    container_keys: Sequence[str] = ('state_dict', )
) -> Dict[str, Tensor]:
    """Convert a released checkpoint into a ``Face3DRegressor`` checkpoint.

    Args:
        src (str): Released checkpoint.
        dst (str): Output checkpoint.
        converter (str): Converter name recorded in ``meta``.
        head_keys (dict[str, str]): See :func:`rename_to_regressor`.
        drop_prefixes (Sequence[str]): See :func:`rename_to_regressor`.
        container_keys (Sequence[str]): See
            :func:`load_released_checkpoint`.

    Returns:
        dict[str, Tensor]: The converted state dict (as written).
    """
    state_dict, extra = load_released_checkpoint(src, container_keys)
    converted = rename_to_regressor(state_dict, head_keys, drop_prefixes, src)
    save_converted(converted, dst, src, converter, {
        f'source_{k}': v
        for k, v in extra.items()
    })
    return converted


def converter_main(convert: Callable[[str, str], Dict[str, Tensor]],
                   description: str) -> None:
    """Command line of a converter: ``SRC DST`` (``--trust-checkpoint SRC``
    for a release that only full unpickling reads)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='released checkpoint')
    parser.add_argument('dst', help='output mmface3d checkpoint')
    parser.add_argument(
        '--trust-checkpoint',
        action='append',
        default=[],
        metavar='FILE',
        help='allow full unpickling of this file (it runs the code the file '
        'names; only for files you trust), see docs/trust.md')
    args = parser.parse_args()

    def run():
        for filename in args.trust_checkpoint:
            trust_checkpoint(filename)
        state_dict = convert(args.src, args.dst)
        print(f'wrote {len(state_dict)} tensors to {args.dst}')

    run_tool(run)


def widen_input_channels(weight: Tensor,
                         in_channels: int,
                         rgb_to_bgr: bool = False) -> Tensor:
    """The first convolution's filters for more input channels.

    The existing input channels keep their filters (reversed when the source
    network read RGB and ours reads BGR, as ImageNet ResNets vs mmface3d's
    crops); every added channel (the 2DASL landmark map) gets zero filters,
    so the widened network computes exactly what the source did whatever the
    new channels hold, and training grows them from there.

    Args:
        weight (Tensor): (O, I, kh, kw) filters.
        in_channels (int): Input channels wanted, >= I.
        rgb_to_bgr (bool): Reverse the first 3 input channels. Defaults to
            False.

    Returns:
        Tensor: (O, in_channels, kh, kw) filters.
    """
    if weight.ndim != 4 or in_channels < weight.shape[1]:
        raise ValueError(f'cannot widen filters of shape '
                         f'{tuple(weight.shape)} to {in_channels} input '
                         'channels')
    if rgb_to_bgr:
        if weight.shape[1] < 3:
            raise ValueError('rgb_to_bgr needs at least 3 input channels, got '
                             f'{weight.shape[1]}')
        weight = torch.cat([weight[:, :3].flip(1), weight[:, 3:]], 1)
    extra = weight.new_zeros(weight.shape[0], in_channels - weight.shape[1],
                             *weight.shape[2:])
    return torch.cat([weight, extra], 1)
