"""mmface3d's loader of local checkpoint files, installed into mmengine.

torch >= 2.6 loads with ``weights_only=True`` by default, which refuses the
checkpoints an mmengine ``Runner`` writes (its ``message_hub`` holds
``HistoryBuffer`` objects and numpy arrays), so mmengine 0.10's ``resume``,
``load_from`` and ``load_checkpoint`` fail on them. The loader below
replaces mmengine's local-file loader (the ``''`` scheme) with this rule:

1. every file is first read with ``weights_only=True``: converted and
   external weights (plain tensors, dicts, numbers, strings) load this way
   and nothing else in them is ever unpickled;
2. a file that needs more is fully unpickled only when a static scan of its
   pickle (no code runs) shows mmengine's ``MessageHub`` state, i.e. it is
   a checkpoint written by an mmengine run;
3. anything else is refused with an error that names the pickled globals.

Full unpickling runs code chosen by the file's author, and the mark of rule
2 can be forged: resume or fine-tune only from run checkpoints you trust
(your own work dirs). Weights from elsewhere should go through
``tools/model_converters``, which write plain tensors.
"""
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

# Class that only mmengine's MessageHub state puts into a checkpoint.
RUN_CHECKPOINT_MARK = 'mmengine.logging.history_buffer.HistoryBuffer'

MapLocation = Optional[Union[str, torch.device, Callable, dict]]


def pickled_globals(filename: str) -> List[str]:
    """Globals a ``torch.save`` file references beyond torch's weights-only
    allowlist, found by disassembling its pickle (nothing is executed).

    Args:
        filename (str): A checkpoint in torch's zip format.

    Returns:
        list[str]: Names like ``'numpy.ndarray'``; empty for files in the
        legacy (pre-1.6) format, which mmengine runs never write.
    """
    try:
        return sorted(
            torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except ValueError:
        return []


def load_from_local_checked(filename: str,
                            map_location: MapLocation = None) -> Any:
    """Load a local checkpoint: weights-only, or in full for mmengine run
    checkpoints (see the module docstring for the rule).

    Args:
        filename (str): Path of the checkpoint (``~`` is expanded).
        map_location (str | torch.device | callable | dict, optional): As
            in :func:`torch.load`. Defaults to None.

    Returns:
        Any: The loaded object (usually a dict).

    Raises:
        FileNotFoundError: If the file does not exist.
        pickle.UnpicklingError: If it needs more than weights-only loading
            and is not an mmengine run checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        names = pickled_globals(filename)
        if RUN_CHECKPOINT_MARK not in names:
            raise pickle.UnpicklingError(
                f'{filename} holds pickled objects beyond tensors and plain '
                f'containers ({names or "legacy format"}) and is not an '
                'mmengine run checkpoint, so mmface3d will not unpickle it. '
                'Convert external weights to a plain state dict (see '
                'tools/model_converters).') from error
    print_log(
        f'{filename} is an mmengine run checkpoint (it carries MessageHub '
        'state): loading it with full unpickling',
        logger='current')
    return torch.load(filename, map_location=map_location, weights_only=False)


CheckpointLoader.register_scheme(
    prefixes='', loader=load_from_local_checked, force=True)
