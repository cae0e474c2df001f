"""Run checkpoints that load with ``weights_only=True``."""
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmface3d.registry import HOOKS
from mmface3d.utils.checkpoint import encode_weights_only


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Make every checkpoint of a run loadable without full unpickling.

    mmengine stores the message hub's ``HistoryBuffer`` objects (and numpy
    arrays) in its checkpoints, which ``torch.load(weights_only=True)``
    refuses. Before a save this hook turns them into tagged plain containers
    (:func:`~mmface3d.utils.checkpoint.encode_weights_only`); mmface3d's
    loader (:func:`~mmface3d.utils.checkpoint.load_checkpoint_file`) turns
    them back, so kill and resume stay exact.
    ``configs/_base_/default_runtime.py`` adds it to every run. It runs after
    the other hooks, which may add to the checkpoint.
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner: Runner,
                               checkpoint: dict) -> None:
        encoded = encode_weights_only(checkpoint)
        checkpoint.clear()
        checkpoint.update(encoded)
