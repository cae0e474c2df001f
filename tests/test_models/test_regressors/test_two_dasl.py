"""TwoDASL on CPU: a tiny model (68-vertex BFM, MobileNetV1-0.25, a small
critic), two optimiser wrappers from the constructor, ``train_step`` on
mixed, 3D-only and 2D-only batches."""
import pytest
import torch
from mmengine.logging import MessageHub

from mmface3d.morphable import draw_landmark_maps
from mmface3d.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmface3d.structures import Face3DDataSample

SIZE = 64
REGRESSOR_KEYS = {'loss', 'loss_3d', 'loss_2d_con', 'loss_cyc',
                  'loss_3d_con', 'loss_sc'}
CRITIC_KEYS = {'loss_critic', 'critic_real', 'critic_fake'}
LOSSES = ('loss_3d', 'loss_2d', 'loss_3d_con', 'loss_cycle', 'loss_adv')
# hidden rows of the 2D-only samples: the left eye, then the inner mouth
HIDDEN = (range(36, 42), range(60, 68))


def build_model(morphable_cfg, channels=4, **kwargs):
    cfg = dict(
        type='TwoDASL',
        data_preprocessor=dict(
            type='Face3DDataPreprocessor', num_channels=channels),
        backbone=dict(
            type='MobileNetV1', widen_factor=0.25, in_channels=channels),
        head=dict(
            type='ParamRegressionHead',
            in_channels=256,
            morphable_model=morphable_cfg),
        critic=dict(
            type='MLPCritic',
            hidden=(16, 16),
            encoder=dict(type='ConvEncoder', channels=(4, 8, 8))))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    return model


def build_wrappers(model):
    cfg = dict(
        regressor=dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01)),
        critic=dict(
            type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='TwoDASLOptimWrapperConstructor',
             optim_wrapper_cfg=cfg))(model)


def make_batch(model, kinds, channels=4, seed=0):
    """A dataloader batch: '3d' samples with ``gt_params`` (v1) and input
    landmarks, '2d' samples with input landmarks only, some points hidden.
    The 4th channel is the map of the input landmarks."""
    gen = torch.Generator().manual_seed(seed)
    mm = model.morphable_model
    num = len(kinds)
    params = mm.dewhiten(0.3 * torch.randn(num, 62, generator=gen))
    points = mm.landmarks(params)[:, :2].transpose(1, 2)
    points = points + torch.randn(points.shape, generator=gen)
    visible = torch.ones(num, 68, dtype=torch.bool)
    inputs, samples = [], []
    for i, kind in enumerate(kinds):
        sample = Face3DDataSample(
            metainfo=dict(crop_affine=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        sample.landmarks_2d_input = points[i]
        if kind == '3d':
            sample.gt_params = params[i]
            sample.set_metainfo(dict(params_convention='v1'))
        else:
            visible[i, HIDDEN[i % 2]] = False
            sample.landmarks_2d_input_visible = visible[i]
        image = 0.5 * torch.randn(3, SIZE, SIZE, generator=gen)
        if channels == 4:
            image = torch.cat([
                image,
                draw_landmark_maps(points[i:i + 1], visible[i:i + 1], SIZE,
                                   SIZE)
            ])
        inputs.append(image)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def regressor_state(model):
    return {
        f'{name}.{k}': v
        for name in ('backbone', 'head')
        for k, v in snapshot(getattr(model, name)).items()
    }


def changed(before, after):
    """Names of the floating-point entries that differ."""
    return {
        k
        for k, v in before.items()
        if v.is_floating_point() and not torch.equal(v, after[k])
    }


def count_calls(monkeypatch, obj, name):
    """Wrap ``obj.name``; returns the list of (args, result) of its calls.
    """
    calls = []
    original = getattr(obj, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append((args, result))
        return result

    monkeypatch.setattr(obj, name, wrapper)
    return calls


@pytest.fixture(autouse=True)
def iteration():
    """MessageHub's 'iter' at 0 during a test, restored afterwards."""
    hub = MessageHub.get_current_instance()
    old = hub.get_info('iter')
    hub.update_info('iter', 0)
    torch.manual_seed(0)
    yield hub
    if old is None:
        hub.pop_info('iter')
    else:
        hub.update_info('iter', old)


@pytest.fixture
def model(tiny_morphable_cfg):
    return build_model(tiny_morphable_cfg)


MIXED = ('3d', '3d', '2d', '2d')


def test_mixed_batch_moves_both_and_logs_every_term(model):
    wrappers = build_wrappers(model)
    assert set(wrappers.keys()) == {'regressor', 'critic'}
    regressor, critic = regressor_state(model), snapshot(model.critic)
    log_vars = model.train_step(make_batch(model, MIXED), wrappers)
    assert set(log_vars) == REGRESSOR_KEYS | CRITIC_KEYS
    for key, value in log_vars.items():
        assert torch.isfinite(torch.as_tensor(value)).all(), key
    assert 0 < log_vars['critic_real'] < 1
    assert 0 < log_vars['critic_fake'] < 1
    # the logged total is the sum of the regressor's terms
    torch.testing.assert_close(
        log_vars['loss'],
        sum(log_vars[k] for k in REGRESSOR_KEYS - {'loss'}))
    assert 'head.fc.weight' in changed(regressor, regressor_state(model))
    assert changed(regressor, regressor_state(model)) & {
        k for k in regressor if k.startswith('backbone.')}
    moved = changed(critic, snapshot(model.critic))
    assert 'fc_out.weight' in moved
    assert any(k.startswith('encoder.') for k in moved)


def test_critic_steps_first_then_the_frozen_critic_stays(model, monkeypatch):
    """The critic updates first (on the regressor's detached prediction);
    the regressor's update then runs with the critic frozen: no gradient
    reaches it and it does not move; afterwards it is trainable again. The
    critic step leaves the regressor's weights and BN buffers alone."""
    wrappers = build_wrappers(model)
    seen = {}
    update = wrappers['regressor'].update_params
    critic_step = model._critic_step

    def regressor_update(loss, **kwargs):
        seen['frozen'] = [not p.requires_grad
                          for p in model.critic.parameters()]
        seen['critic_before'] = snapshot(model.critic)
        update(loss, **kwargs)
        seen['grads'] = [p.grad for p in model.critic.parameters()]
        seen['critic_after'] = snapshot(model.critic)

    def record_critic_step(*args, **kwargs):
        seen['regressor_before'] = regressor_state(model)
        out = critic_step(*args, **kwargs)
        seen['regressor_after'] = regressor_state(model)
        seen['critic_stepped'] = snapshot(model.critic)
        return out

    monkeypatch.setattr(wrappers['regressor'], 'update_params',
                        regressor_update)
    monkeypatch.setattr(model, '_critic_step', record_critic_step)
    critic_before = snapshot(model.critic)
    model.train_step(make_batch(model, MIXED), wrappers)

    # the critic step came first and moved the critic
    assert changed(critic_before, seen['critic_stepped'])
    assert not changed(seen['critic_stepped'], seen['critic_before'])
    # ... without touching the regressor
    for key, value in seen['regressor_before'].items():
        assert torch.equal(value, seen['regressor_after'][key]), key
    # the regressor's update: critic frozen, no gradient, not moved
    assert seen['frozen'] and all(seen['frozen'])
    assert all(grad is None for grad in seen['grads'])
    assert not changed(seen['critic_before'], seen['critic_after'])
    assert all(p.requires_grad for p in model.critic.parameters())


@pytest.mark.parametrize(
    'kinds, absent',
    [(('3d', '3d'), {'loss_sc'}),
     (('2d', '2d'), {'loss_3d'})])
def test_single_kind_batch_skips_the_critic(model, kinds, absent,
                                            monkeypatch):
    wrappers = build_wrappers(model)
    critic = snapshot(model.critic)
    critic_forward = count_calls(monkeypatch, model.critic, 'forward')
    log_vars = model.train_step(make_batch(model, kinds), wrappers)
    assert set(log_vars) == REGRESSOR_KEYS - absent
    assert all(torch.isfinite(v) for v in log_vars.values())
    assert not changed(critic, snapshot(model.critic))
    # 3D only: no fake pair to score; 2D only: L_sc scores the fakes once
    # and no real pair exists for a critic step
    assert len(critic_forward) == (0 if kinds[0] == '3d' else 1)


@pytest.mark.parametrize(
    'off, absent, forwards',
    [(dict(loss_3d=dict(type='WPDCLoss', loss_weight=0)), {'loss_3d'}, 2),
     (dict(loss_2d=None), {'loss_2d_con'}, 2),
     (dict(loss_cycle=dict(type='Landmark2DConsistencyLoss',
                           loss_weight=0)), {'loss_cyc'}, 2),
     (dict(loss_3d_con=None), {'loss_3d_con'}, 2),
     (dict(loss_cycle=None,
           loss_3d_con=dict(type='Landmark3DConsistencyLoss',
                            loss_weight=0)), {'loss_cyc', 'loss_3d_con'}, 1),
     (dict(loss_adv=dict(type='AdversarialLoss', loss_weight=0)),
      {'loss_sc'} | CRITIC_KEYS, 2)])
def test_zero_weight_skips_its_term(tiny_morphable_cfg, monkeypatch, off,
                                    absent, forwards):
    model = build_model(tiny_morphable_cfg, **off)
    wrappers = build_wrappers(model)
    calls = {
        name: count_calls(monkeypatch, getattr(model, name), 'forward')
        for name in LOSSES if getattr(model, name) is not None
    }
    forward = count_calls(monkeypatch, model, '_forward')
    critic_forward = count_calls(monkeypatch, model.critic, 'forward')
    critic = snapshot(model.critic)
    log_vars = model.train_step(make_batch(model, MIXED), wrappers)
    assert set(log_vars) == (REGRESSOR_KEYS | CRITIC_KEYS) - absent
    for name, module_calls in calls.items():
        weight = getattr(model, name).loss_weight
        assert bool(module_calls) == (weight != 0), name
    assert len(forward) == forwards
    if 'loss_sc' in absent:
        assert not critic_forward
        assert not changed(critic, snapshot(model.critic))


def test_cycle_pass_skipped_without_cycle_losses(tiny_morphable_cfg,
                                                 monkeypatch):
    model = build_model(
        tiny_morphable_cfg, loss_cycle=None, loss_3d_con=None)
    forward = count_calls(monkeypatch, model, '_forward')
    log_vars = model.train_step(
        make_batch(model, MIXED), build_wrappers(model))
    assert len(forward) == 1
    assert set(log_vars) == \
        (REGRESSOR_KEYS - {'loss_cyc', 'loss_3d_con'}) | CRITIC_KEYS


def test_critic_interval(tiny_morphable_cfg, iteration):
    model = build_model(tiny_morphable_cfg, critic_interval=2)
    wrappers = build_wrappers(model)
    batch = make_batch(model, MIXED)
    critic = snapshot(model.critic)
    iteration.update_info('iter', 3)
    log_vars = model.train_step(batch, wrappers)
    assert not changed(critic, snapshot(model.critic))
    assert set(log_vars) == REGRESSOR_KEYS
    iteration.update_info('iter', 4)
    log_vars = model.train_step(batch, wrappers)
    assert changed(critic, snapshot(model.critic))
    assert set(log_vars) == REGRESSOR_KEYS | CRITIC_KEYS
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match='critic_interval'):
            build_model(tiny_morphable_cfg, critic_interval=bad)


def test_cycle_pass_redraws_the_map(model, monkeypatch):
    forward = count_calls(monkeypatch, model, '_forward')
    data = model.data_preprocessor(make_batch(model, MIXED), True)
    model.loss(data['inputs'], data['data_samples'])
    assert len(forward) == 2
    (first, ), pred = forward[0]
    (second, ), _ = forward[1]
    assert torch.equal(first, data['inputs'])
    assert torch.equal(second[:, :3], first[:, :3])
    mm = model.morphable_model
    points = mm.landmarks(mm.dewhiten(pred))[:, :2].transpose(1, 2)
    maps = second[:, 3]
    assert torch.equal(maps, draw_landmark_maps(points, None, SIZE, SIZE))
    assert set(maps.unique().tolist()) == {-1.0, 1.0}
    # from the prediction, not the input map (which hides points)
    assert not torch.equal(maps, first[:, 3])


def test_three_channel_model(tiny_morphable_cfg, monkeypatch):
    with pytest.raises(ValueError, match='4-channel'):
        build_model(tiny_morphable_cfg, channels=3)
    with pytest.raises(ValueError, match='4-channel'):
        build_model(tiny_morphable_cfg, channels=3, loss_cycle=None)
    model = build_model(
        tiny_morphable_cfg, channels=3, loss_cycle=None, loss_3d_con=None)
    assert not model.with_map
    wrappers = build_wrappers(model)
    forward = count_calls(monkeypatch, model, '_forward')
    regressor, critic = regressor_state(model), snapshot(model.critic)
    log_vars = model.train_step(
        make_batch(model, MIXED, channels=3), wrappers)
    assert set(log_vars) == {'loss', 'loss_3d', 'loss_2d_con', 'loss_sc'} \
        | CRITIC_KEYS
    assert len(forward) == 1
    assert 'head.fc.weight' in changed(regressor, regressor_state(model))
    assert changed(critic, snapshot(model.critic))


def test_loss_mode_matches_train_step(model):
    batch = make_batch(model, MIXED)
    critic = snapshot(model.critic)
    data = model.data_preprocessor(batch, True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == REGRESSOR_KEYS - {'loss'}
    assert not changed(critic, snapshot(model.critic))
    assert all(p.grad is None for p in model.critic.parameters())
    log_vars = model.train_step(batch, build_wrappers(model))
    for key, value in losses.items():
        torch.testing.assert_close(value.detach(), log_vars[key])


def test_config_and_batch_errors(tiny_morphable_cfg):
    with pytest.raises(ValueError, match='critic is None'):
        build_model(tiny_morphable_cfg, critic=None)
    model = build_model(tiny_morphable_cfg, critic=None, loss_adv=None)
    assert not model.uses_critic
    batch = make_batch(model, ('2d', ))
    del batch['data_samples'][0].landmarks_2d_input
    with pytest.raises(ValueError, match='no loss term applies'):
        model.train_step(batch, build_wrappers(model))
