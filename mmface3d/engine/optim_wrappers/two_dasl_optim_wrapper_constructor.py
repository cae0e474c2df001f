"""Two optimisers for 2DASL: the regressor and the self-critic."""
from typing import Optional

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch import nn

from mmface3d.registry import OPTIM_WRAPPER_CONSTRUCTORS

REGRESSOR, CRITIC = 'regressor', 'critic'


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TwoDASLOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with ``'regressor'`` (every parameter
    but the critic's) and ``'critic'`` (the model's ``critic``) from one
    ``optim_wrapper`` config::

        optim_wrapper = dict(
            constructor='TwoDASLOptimWrapperConstructor',
            regressor=dict(
                type='OptimWrapper',   # or 'AmpOptimWrapper'
                optimizer=dict(type='SGD', lr=5e-5, momentum=0.9),
                clip_grad=dict(max_norm=10)),
            critic=dict(
                type='OptimWrapper',
                optimizer=dict(type='Adam', lr=1e-4)))

    Each entry is a complete optimiser wrapper config (its own gradient
    clipping, AMP, accumulation), built by mmengine's
    ``DefaultOptimWrapperConstructor`` on its parameters; a per-entry
    ``paramwise_cfg`` is passed on. Learning-rate schedules go per
    optimiser, e.g. ``param_scheduler = dict(regressor=[...], critic=[])``.
    A model without a critic gets the ``'regressor'`` wrapper alone.

    Args:
        optim_wrapper_cfg (dict): ``regressor`` and ``critic`` configs.
        paramwise_cfg (dict, optional): Must be None: give it per entry.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError('TwoDASLOptimWrapperConstructor: give '
                             'paramwise_cfg inside the regressor / critic '
                             'entries')
        unknown = set(optim_wrapper_cfg) - {REGRESSOR, CRITIC}
        if REGRESSOR not in optim_wrapper_cfg or unknown:
            raise ValueError(
                "TwoDASLOptimWrapperConstructor: optim_wrapper needs a "
                "'regressor' entry and may have a 'critic' one, got "
                f'{sorted(optim_wrapper_cfg)}')
        self.optim_wrapper_cfg = optim_wrapper_cfg

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        critic = getattr(model, CRITIC, None)
        regressor = nn.ModuleDict({
            name: child
            for name, child in model.named_children() if name != CRITIC
        })
        parts = {REGRESSOR: regressor}
        if critic is not None:
            if CRITIC not in self.optim_wrapper_cfg:
                raise ValueError(
                    f'{type(model).__name__} has a critic but optim_wrapper '
                    "has no 'critic' entry")
            parts[CRITIC] = critic
        wrappers = {}
        for name, module in parts.items():
            cfg = dict(self.optim_wrapper_cfg[name])
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise_cfg)(module)
        return OptimWrapperDict(**wrappers)
