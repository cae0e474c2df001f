"""Every config under configs/ builds what it describes (or names the data it
needs that is not here: 300W-LP, in-the-wild lists, pseudo-labels a tool
makes); every method config runs a test step on two samples through its
evaluators."""
import inspect
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope

from mmface3d.evaluation.metrics import BaseAFLW2000Metric
from mmface3d.morphable import MorphableModel
from mmface3d.registry import (DATASETS, HOOKS, METRICS, MODEL_WRAPPERS,
                               MODELS, OPTIM_WRAPPER_CONSTRUCTORS, VISUALIZERS)

REPO = Path(__file__).resolve().parents[1]
ALL_CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py'))
METHOD_CONFIGS = [c for c in ALL_CONFIGS if '_base_' not in c]


def load(config):
    cfg = Config.fromfile(REPO / config)
    init_default_scope(cfg.get('default_scope', 'mmface3d'))
    return cfg


@pytest.fixture(scope='module')
def build(data_root):
    """``build(config, key)``: the config's model (``'model'``) or the
    dataset of its ``'<phase>_dataloader'``, built once per module (the
    BFM arrays and the AFLW2000-3D fits take a while to load)."""
    cache = {}

    def build_part(config, key):
        cfg = load(config)
        if key == 'val_dataloader' and cfg.get(key) == cfg.get(
                'test_dataloader'):
            key = 'test_dataloader'  # the same set: built once
        if (config, key) not in cache:
            cache[config, key] = MODELS.build(cfg.model) if key == 'model' \
                else DATASETS.build(cfg[key].dataset)
        return cache[config, key]

    yield build_part
    cache.clear()


def as_list(evaluator):
    if evaluator is None:
        return []
    if isinstance(evaluator, dict):
        return list(evaluator.get('metrics', [evaluator]))
    return list(evaluator)


def test_config_list():
    """The method configs the docs name are all found."""
    assert set(METHOD_CONFIGS) >= {
        'configs/2dasl/2dasl_r50_released_120x120.py',
        'configs/3ddfa/3ddfa_mbv1_120x120.py',
        'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py',
        'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120_dense-recon.py',
    }
    assert 'configs/_base_/datasets/synthetic_faces.py' in ALL_CONFIGS


@pytest.mark.parametrize('config', ALL_CONFIGS)
def test_config_builds(config, build, tmp_path):
    """Model, datasets of every dataloader, metrics, hooks and visualizer:
    whatever the config holds builds."""
    cfg = load(config)
    built = []
    if 'model' in cfg:
        assert isinstance(build(config, 'model'), BaseModel)
        built.append('model')
    for phase in ('train', 'val', 'test'):
        if cfg.get(f'{phase}_dataloader'):
            try:
                assert len(build(config, f'{phase}_dataloader')) > 0
            except FileNotFoundError as err:
                # data that is not shipped here: the message says how to
                # get it
                assert 'docs/datasets.md' in str(err) or \
                    'make_pseudo_labels.py' in str(err), err
            built.append(phase)
    for key in ('val_evaluator', 'test_evaluator'):
        for metric in as_list(cfg.get(key)):
            METRICS.build(metric)
            built.append(key)
    for name, hook in cfg.get('default_hooks', {}).items():
        HOOKS.build(hook)
        built.append(name)
    if 'visualizer' in cfg:
        VISUALIZERS.build(
            dict(cfg.visualizer, name=f'test_configs:{config}',
                 save_dir=str(tmp_path)))
        built.append('visualizer')
    # the optimisers need a model (the training tests build them): here the
    # constructor and the model wrapper named must exist
    if 'optim_wrapper' in cfg:
        constructor = cfg.optim_wrapper.get('constructor',
                                            'DefaultOptimWrapperConstructor')
        assert OPTIM_WRAPPER_CONSTRUCTORS.get(constructor), constructor
        built.append('optim_wrapper')
    if 'model_wrapper_cfg' in cfg:
        assert MODEL_WRAPPERS.get(cfg.model_wrapper_cfg.type)
        built.append('model_wrapper_cfg')
    assert built, f'{config} builds nothing'


@pytest.mark.parametrize('config', METHOD_CONFIGS)
def test_config_runs_a_test_step(config, build):
    """Two test samples through the (randomly initialised) model and every
    test metric (the AFLW2000-3D metrics with ``allow_partial``: 2 of the
    benchmark's images)."""
    cfg = load(config)
    # The model the predictions name is the configured one (the 3DDFA
    # configs leave the visualizer to take it from the predictions).
    assert 'morphable_model' not in cfg.visualizer
    model = build(config, 'model').eval()
    dataset = build(config, 'test_dataloader')
    batch = pseudo_collate([dataset[i] for i in range(2)])
    channels = cfg.model.data_preprocessor.num_channels
    assert batch['inputs'][0].shape == (channels, 120, 120)
    with torch.no_grad():
        out = model.test_step(batch)
    configured = dict(cfg.model.head.morphable_model)
    configured.pop('type')
    bound = inspect.signature(MorphableModel).bind(**configured)
    bound.apply_defaults()
    expected = bound.arguments
    for sample in out:
        assert sample.pred_landmarks.shape == (68, 3)
        assert sample.pred_params.shape == (cfg.model.head.num_params, )
        assert torch.isfinite(sample.pred_params).all()
        assert sample.crop_affine.shape == (2, 3)
        used = sample.pred_morphable_model
        for key in ('model_path', 'layout', 'convention'):
            assert used[key] == expected[key], key

    metrics = [
        dict(m, allow_partial=True)
        if issubclass(METRICS.get(m['type']), BaseAFLW2000Metric) else m
        for m in as_list(cfg.test_evaluator)
    ]
    evaluator = Evaluator([METRICS.build(m) for m in metrics])
    evaluator.process(out, batch)
    results = evaluator.evaluate(2)
    names = {m['type'] for m in metrics}
    assert len(results) >= 6 * len(names)
    # (buckets without an image are NaN)
    overall = {k: v for k, v in results.items() if k.endswith('_all')}
    assert len(overall) >= len(names)
    assert all(math.isfinite(v) for v in overall.values()), results
    if 'DenseAlignmentMetric' in names:
        assert any('dense' in k for k in results)
