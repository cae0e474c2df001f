"""TwoDASLOptimWrapperConstructor: one optimiser wrapper per part of the
model, each with its own settings."""
import copy
import warnings
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.optim import (AmpOptimWrapper, OptimWrapper, OptimWrapperDict,
                            build_optim_wrapper)
from mmengine.registry import DefaultScope
from torch import nn

from mmface3d.engine import TwoDASLOptimWrapperConstructor
from mmface3d.registry import MODELS

REPO = Path(__file__).resolve().parents[3]
QUICKSTART = 'configs/2dasl/2dasl_mbv1-0.5_quickstart_synthetic-120x120.py'


class Toy(BaseModel):
    """A backbone with BN, a head and (optionally) a critic."""

    def __init__(self, critic=True):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))
        self.head = nn.Linear(2, 3)
        self.critic = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1)) \
            if critic else None

    def forward(self, *args, **kwargs):
        raise NotImplementedError


def config(**kwargs):
    cfg = dict(
        regressor=dict(
            type='OptimWrapper',
            optimizer=dict(type='SGD', lr=1.0),
            clip_grad=dict(max_norm=0.5)),
        critic=dict(
            type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
    cfg.update(kwargs)
    return cfg


def param_ids(wrapper):
    return [
        id(p) for group in wrapper.optimizer.param_groups
        for p in group['params']
    ]


def params_except_critic(model):
    return [p for name, p in model.named_parameters()
            if not name.startswith('critic.')]


def test_parts_are_disjoint_and_cover_the_model():
    model = Toy()
    cfg = config()
    given = copy.deepcopy(cfg)
    wrappers = TwoDASLOptimWrapperConstructor(cfg)(model)
    assert cfg == given  # the config is not consumed
    assert isinstance(wrappers, OptimWrapperDict)
    assert sorted(wrappers.keys()) == ['critic', 'regressor']
    regressor = param_ids(wrappers['regressor'])
    critic = param_ids(wrappers['critic'])
    assert len(set(regressor)) == len(regressor)
    assert not set(regressor) & set(critic)
    assert set(regressor) | set(critic) == {id(p) for p in model.parameters()}
    assert set(critic) == {id(p) for p in model.critic.parameters()}
    assert isinstance(wrappers['regressor'].optimizer, torch.optim.SGD)
    assert isinstance(wrappers['critic'].optimizer, torch.optim.Adam)
    assert wrappers['critic'].optimizer.defaults['lr'] == 1e-4
    # a second build gives the same split
    again = TwoDASLOptimWrapperConstructor(cfg)(Toy())
    assert len(param_ids(again['regressor'])) == len(regressor)


def test_clip_grad_per_optimiser():
    """SGD with lr 1: a step moves the parameters by their gradient, which
    the regressor's wrapper clips to norm 0.5 and the critic's does not."""
    model = Toy()
    wrappers = TwoDASLOptimWrapperConstructor(config(critic=dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=1.0))))(model)
    assert wrappers['regressor'].clip_grad_kwargs == dict(max_norm=0.5)
    assert not getattr(wrappers['critic'], 'clip_grad_kwargs', None)
    for name, params, norm in (
            ('regressor', params_except_critic(model), 0.5),
            ('critic', list(model.critic.parameters()), None)):
        before = [p.detach().clone() for p in params]
        loss = sum(100 * p.sum() for p in params)
        wrappers[name].update_params(loss)
        step = torch.cat([(p.detach() - b).flatten()
                          for p, b in zip(params, before)]).norm()
        want = norm or 100 * sum(p.numel() for p in params)**0.5
        torch.testing.assert_close(step.item(), want, rtol=1e-4, atol=0)


def test_paramwise_cfg_per_entry():
    model = Toy()
    cfg = config()
    cfg['regressor']['optimizer']['weight_decay'] = 0.01
    cfg['regressor']['paramwise_cfg'] = dict(norm_decay_mult=0.0)
    wrappers = TwoDASLOptimWrapperConstructor(cfg)(model)
    decay = {
        id(p): group['weight_decay']
        for group in wrappers['regressor'].optimizer.param_groups
        for p in group['params']
    }
    bn = model.backbone[1]
    assert decay[id(bn.weight)] == decay[id(bn.bias)] == 0
    assert decay[id(model.head.weight)] == 0.01
    assert decay[id(model.backbone[0].weight)] == 0.01
    with pytest.raises(ValueError, match='paramwise_cfg inside'):
        TwoDASLOptimWrapperConstructor(config(), dict(norm_decay_mult=0))


def test_amp_per_optimiser(monkeypatch):
    """AmpOptimWrapper for the regressor alone. mmengine refuses it
    without an accelerator; on a CPU-only machine the config plumbing is
    checked with mmengine's device probe answering yes."""
    cfg = config(regressor=dict(
        type='AmpOptimWrapper',
        dtype='bfloat16',
        optimizer=dict(type='SGD', lr=0.1)))
    if not torch.cuda.is_available():
        with pytest.raises(AssertionError, match='only available'):
            TwoDASLOptimWrapperConstructor(cfg)(Toy())
        monkeypatch.setattr(
            'mmengine.optim.optimizer.amp_optimizer_wrapper.'
            'is_cuda_available', lambda: True)
    with warnings.catch_warnings():
        # torch's GradScaler disables itself (with a warning) on a CPU
        warnings.simplefilter('ignore')
        wrappers = TwoDASLOptimWrapperConstructor(cfg)(Toy())
    assert isinstance(wrappers['regressor'], AmpOptimWrapper)
    assert wrappers['regressor'].cast_dtype == torch.bfloat16
    assert type(wrappers['critic']) is OptimWrapper


def test_model_without_critic():
    model = Toy(critic=False)
    for cfg in (config(), dict(regressor=config()['regressor'])):
        wrappers = TwoDASLOptimWrapperConstructor(cfg)(model)
        assert list(wrappers.keys()) == ['regressor']
        assert set(param_ids(wrappers['regressor'])) == \
            {id(p) for p in model.parameters()}


def test_config_errors():
    with pytest.raises(ValueError, match="needs a 'regressor' entry"):
        TwoDASLOptimWrapperConstructor(dict(critic=config()['critic']))
    with pytest.raises(ValueError, match=r"\['critic', 'generator', "):
        TwoDASLOptimWrapperConstructor(
            config(generator=dict(optimizer=dict(type='SGD', lr=1))))
    with pytest.raises(ValueError, match="Toy has a critic but .*'critic'"):
        TwoDASLOptimWrapperConstructor(
            dict(regressor=config()['regressor']))(Toy())


def test_built_by_mmengine_for_the_quickstart_model(data_root):
    """As the runner builds it: mmengine's build_optim_wrapper finds the
    constructor in mmface3d's scope; on the quickstart's TwoDASL the
    critic's wrapper holds exactly ``model.critic``'s parameters."""
    cfg = Config.fromfile(str(REPO / QUICKSTART))
    with DefaultScope.overwrite_default_scope('mmface3d'):
        model = MODELS.build(cfg.model)
        wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    assert sorted(wrappers.keys()) == ['critic', 'regressor']
    assert set(param_ids(wrappers['critic'])) == \
        {id(p) for p in model.critic.parameters()}
    assert set(param_ids(wrappers['regressor'])) == \
        {id(p) for p in params_except_critic(model)}
    assert wrappers['regressor'].clip_grad_kwargs == dict(max_norm=10.0)
    assert wrappers['critic'].optimizer.defaults['betas'] == (0.5, 0.999)
