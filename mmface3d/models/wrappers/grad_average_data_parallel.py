"""Data-parallel training of a model that steps its own optimisers."""
from typing import Dict, List, Union

import torch
import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from mmface3d.registry import MODEL_WRAPPERS

_SYNCED = '_mmface3d_grad_average'


def average_gradients(params: List[nn.Parameter]) -> None:
    """Replace the gradients of ``params`` by their mean over the processes
    (a missing gradient counts as zero; it stays missing where no process
    has one)."""
    world = torch_dist.get_world_size()
    params = [p for p in params if p.requires_grad]
    if not params:
        return
    device = params[0].device
    has_grad = torch.tensor([p.grad is not None for p in params],
                            dtype=torch.float32, device=device)
    torch_dist.all_reduce(has_grad, op=torch_dist.ReduceOp.MAX)
    by_dtype: Dict[torch.dtype, List[nn.Parameter]] = {}
    for param, flag in zip(params, has_grad.tolist()):
        if flag:
            by_dtype.setdefault(param.dtype, []).append(param)
    for group in by_dtype.values():
        grads = [
            torch.zeros_like(p) if p.grad is None else p.grad for p in group
        ]
        flat = _flatten_dense_tensors(grads)
        torch_dist.all_reduce(flat)
        flat.div_(world)
        for param, grad in zip(group,
                               _unflatten_dense_tensors(flat, grads)):
            if param.grad is None:
                param.grad = grad
            else:
                param.grad.copy_(grad)


@MODEL_WRAPPERS.register_module()
class GradAverageDataParallel(nn.Module):
    """Data parallelism for a model whose ``train_step`` runs several
    optimisers itself (:class:`~mmface3d.models.TwoDASL`: the self-critic,
    then the regressor, with a cycle pass through the backbone).

    mmengine's ``MMDistributedDataParallel`` runs its own forward / backward
    / single-optimiser step instead of the model's ``train_step`` (with an
    ``OptimWrapperDict`` it stops on ``optim_context``), and
    ``MMSeparateDistributedDataParallel`` replaces the model's children by
    DDP wrappers, which hide their other methods (the head's ``gt_params``)
    and put ``.module`` into the checkpoint keys. This wrapper leaves the
    model as it is and calls its ``train_step``; every optimiser wrapper's
    ``backward`` is followed, where the wrapper then steps, by the mean of
    its parameters' gradients over the processes (one all-reduce per
    optimiser and dtype), so that clipping and the step see what DDP would
    give them: the gradient of the whole batch when the losses are
    per-sample means and every process has the same batch size and mix.
    Parameters and buffers start from rank 0's. BatchNorm statistics stay
    per process (as DDP's, a process's batch; use frozen BN or SyncBN on
    GPUs for whole-batch statistics).

    Every process must run the same backward passes, as with DDP:
    ``MixedBatchSampler`` gives each process the same 3D / 2D mix, so that
    ``TwoDASL`` skips the same terms everywhere. Configs select it with
    ``model_wrapper_cfg = dict(type='mmface3d.GradAverageDataParallel')``
    (the scope: mmengine's runner looks wrappers up in its own registry).

    Args:
        module (nn.Module): The model.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        if not (torch_dist.is_available() and torch_dist.is_initialized()):
            raise RuntimeError('GradAverageDataParallel needs an initialised '
                               'process group (tools/dist_train.sh)')
        self.module = module.to(get_device())
        with torch.no_grad():
            for tensor in [*self.module.parameters(), *self.module.buffers()]:
                torch_dist.broadcast(tensor, 0)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """The model's ``train_step`` with gradients averaged over the
        processes before each optimiser steps."""
        wrappers = optim_wrapper.values() if isinstance(
            optim_wrapper, OptimWrapperDict) else [optim_wrapper]
        for wrapper in wrappers:
            self._sync_backward(wrapper)
        return self.module.train_step(data, optim_wrapper)

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        return self.module.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        return self.module.test_step(data)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    @staticmethod
    def _sync_backward(wrapper: OptimWrapper) -> None:
        """Make ``wrapper.backward`` average the gradients of its
        parameters after the backward pass that precedes a step."""
        if getattr(wrapper, _SYNCED, False):
            return
        backward = wrapper.backward
        params = [
            p for group in wrapper.optimizer.param_groups
            for p in group['params']
        ]

        def synced_backward(loss: Tensor, **kwargs) -> None:
            backward(loss, **kwargs)
            if wrapper.should_update():
                average_gradients(params)

        wrapper.backward = synced_backward
        setattr(wrapper, _SYNCED, True)
