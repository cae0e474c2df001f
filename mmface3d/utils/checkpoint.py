"""Checkpoint files that load without running code.

Full unpickling runs whatever code a file names, so mmface3d never does it
implicitly:

- every checkpoint mmface3d writes loads with ``weights_only=True``: the
  converters write plain state dicts, and the runs' checkpoints store the
  message hub's ``HistoryBuffer`` objects and numpy arrays as tagged plain
  containers (:func:`encode_weights_only`, applied by
  :class:`~mmface3d.engine.hooks.SafeCheckpointHook` on save and undone by
  :func:`load_checkpoint_file` on load);
- :func:`load_checkpoint_file`, installed as mmengine's loader of local
  files, reads every file with ``weights_only=True``; a file that needs more
  is refused with an error naming it and the opt-in, unless that very file
  was trusted by name (:func:`trust_checkpoint`, the tools'
  ``--trust-checkpoint FILE``).
"""
import os.path as osp
import pickle
import zipfile
from typing import Any, Callable, Dict, List, Optional, Set, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict

MapLocation = Optional[Union[str, torch.device, Callable, dict]]
# Key of the dicts that stand for objects weights-only loading cannot build.
TYPE_TAG = '__mmface3d_type__'
# Real paths of files the user trusted by name for full unpickling.
TRUSTED_FILES: Set[str] = set()
PLAIN_TYPES = (str, int, float, bool, bytes, type(None), torch.Tensor,
               torch.dtype, torch.device, torch.Size)


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint that only full unpickling could read."""


def trust_checkpoint(filename: str) -> None:
    """Allow full unpickling of this one file (the opt-in for legacy or
    external checkpoints one trusts, e.g. runs of older mmface3d versions).
    """
    TRUSTED_FILES.add(osp.realpath(osp.expanduser(filename)))


def pickled_globals(filename: str) -> List[str]:
    """Globals a ``torch.save`` file references beyond torch's weights-only
    allowlist, found by disassembling its pickle (nothing is executed).

    Returns:
        list[str]: Names like ``'numpy.ndarray'``; empty for files in the
        legacy (pre-1.6) format.
    """
    try:
        return sorted(
            torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except (ValueError, RuntimeError, pickle.UnpicklingError):
        return []


def load_checkpoint_file(filename: str,
                         map_location: MapLocation = None) -> Any:
    """Load a local checkpoint with ``weights_only=True``; a file trusted
    by name (:func:`trust_checkpoint`) may be unpickled in full.

    Args:
        filename (str): Path of the checkpoint (``~`` is expanded).
        map_location (str | torch.device | callable | dict, optional): As
            in :func:`torch.load`. Defaults to None.

    Returns:
        Any: The loaded object (usually a dict), with the containers of
        :func:`encode_weights_only` turned back into their objects.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It is empty or not a torch checkpoint.
        UnsafeCheckpointError: It holds objects beyond tensors and plain
            containers and was not trusted by name; the message says how to
            opt in.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    if osp.getsize(filename) == 0:
        raise ValueError(f'checkpoint {filename} is empty (0 bytes): an '
                         'interrupted download or copy?')
    try:
        return decode_weights_only(
            torch.load(
                filename, map_location=map_location, weights_only=True))
    except pickle.UnpicklingError as error:
        if not _is_torch_file(filename):
            raise ValueError(f'{filename} is not a readable torch checkpoint '
                             '(neither a zip archive nor the legacy format)'
                             ) from error
        if osp.realpath(filename) not in TRUSTED_FILES:
            names = pickled_globals(filename)
            raise UnsafeCheckpointError(
                f'{filename} holds pickled objects beyond tensors and plain '
                f'containers ({", ".join(names) or "legacy format"}), which '
                'only full unpickling reads, and full unpickling runs '
                'whatever code the file names; mmface3d never does that '
                'implicitly. If you trust this file, name it: '
                f'`--trust-checkpoint {filename}` (tools/train.py, '
                'tools/test.py) or mmface3d.utils.checkpoint.'
                'trust_checkpoint(path); weights from elsewhere are better '
                'converted once (tools/model_converters).') from error
    except Exception as error:  # damaged files raise many types
        raise ValueError(f'{filename} is not a readable torch checkpoint '
                         f'({type(error).__name__}: {error})') from error
    print_log(
        f'{filename}: full unpickling, as trusted with --trust-checkpoint',
        logger='current')
    return torch.load(filename, map_location=map_location, weights_only=False)


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Reads pickled plain values only (any global is refused)."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f'global {module}.{name}')


def _is_torch_file(filename: str) -> bool:
    """Whether the file starts as ``torch.save`` writes: a zip archive, or
    the legacy format's pickled magic number (read without any global)."""
    with open(filename, 'rb') as f:
        if zipfile.is_zipfile(f):
            return True
        f.seek(0)
        try:
            return _NoGlobalsUnpickler(f).load() == \
                torch.serialization.MAGIC_NUMBER
        except Exception:  # not a pickle at all: anything may be raised
            return False


def encode_weights_only(obj: Any, where: str = 'checkpoint') -> Any:
    """A copy of ``obj`` that ``torch.load(weights_only=True)`` can read.

    Numpy arrays and scalars and mmengine ``HistoryBuffer`` objects become
    dicts tagged with :data:`TYPE_TAG`; containers are copied; tensors,
    numbers, strings and None stay.

    Args:
        obj (Any): E.g. a checkpoint dict before ``torch.save``.
        where (str): Its location, for the error message.

    Raises:
        TypeError: An object of another type (the message names where).
    """
    if isinstance(obj, np.generic):  # before float: np.float64 is one
        return obj.item()
    if isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {
            TYPE_TAG: 'HistoryBuffer',
            'log': torch.from_numpy(np.array(log)),
            'count': torch.from_numpy(np.array(count)),
            'max_length': obj.max_length
        }
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f'{where}: an object array cannot be stored in a '
                            'weights-only checkpoint')
        try:
            data = torch.from_numpy(obj.copy())
        except (TypeError, ValueError) as error:  # strings, byte order, ...
            raise TypeError(f'{where}: a numpy array of dtype {obj.dtype} '
                            'cannot be stored in a weights-only checkpoint '
                            f'({error})') from error
        return {TYPE_TAG: 'ndarray', 'data': data}
    if isinstance(obj, dict):
        return type(obj)((key, encode_weights_only(value, f'{where}.{key}'))
                         for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(
            encode_weights_only(value, f'{where}[{i}]')
            for i, value in enumerate(obj))
    raise TypeError(f'{where}: a {type(obj).__module__}.'
                    f'{type(obj).__qualname__} cannot be stored in a '
                    'weights-only checkpoint')


def decode_weights_only(obj: Any) -> Any:
    """Undo :func:`encode_weights_only`."""
    if isinstance(obj, dict):
        kind = obj.get(TYPE_TAG)
        if kind == 'HistoryBuffer':
            return HistoryBuffer(obj['log'].numpy(), obj['count'].numpy(),
                                 obj['max_length'])
        if kind == 'ndarray':
            return obj['data'].numpy()
        return type(obj)((key, decode_weights_only(value))
                         for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(decode_weights_only(value) for value in obj)
    return obj


CheckpointLoader.register_scheme(
    prefixes='', loader=load_checkpoint_file, force=True)


def state_dict_mismatch(model: torch.nn.Module,
                        state_dict: Dict[str, torch.Tensor]) -> str:
    """'' when ``state_dict`` fits ``model`` key for key and shape for shape,
    else a one-line summary of what does not."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    shapes = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(own[k].shape)}'
        for k in own if k in state_dict
        and tuple(state_dict[k].shape) != tuple(own[k].shape)
    ]
    parts = [
        f'{len(names)} {what} (e.g. {", ".join(names[:3])})'
        for names, what in ((missing, 'keys missing from the checkpoint'),
                            (unexpected, 'unexpected keys'),
                            (shapes, 'shape mismatches (checkpoint vs '
                             'model)')) if names
    ]
    return '; '.join(parts)


def load_model_weights(model: torch.nn.Module,
                       filename: str,
                       allow_partial: bool = False) -> None:
    """Load a checkpoint's ``state_dict`` into ``model`` (on the CPU,
    weights-only, ``module.`` prefixes removed).

    Raises:
        ValueError: The keys or shapes do not match the model and
            ``allow_partial`` is False; the message summarises the mismatch
            in one line.
    """
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else checkpoint
    if not isinstance(state_dict, dict):
        raise ValueError(f'{filename}: no state dict in the checkpoint')
    state_dict = {(k[len('module.'):] if k.startswith('module.') else k): v
                  for k, v in state_dict.items()}
    problem = state_dict_mismatch(model, state_dict)
    if problem and not allow_partial:
        raise ValueError(
            f'{filename} does not fit the model: {problem}. A checkpoint of '
            'another architecture or config? (--allow-partial-load loads '
            'what fits and keeps the rest at its initial weights)')
    load_state_dict(model, state_dict, strict=False, logger='current')
