"""Every method config builds its model and test set and runs a test step."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmface3d.registry import DATASETS, MODELS

CONFIGS = sorted(
    str(p.relative_to(Path(__file__).parents[1]))
    for p in (Path(__file__).parents[1] / 'configs').glob('*/*.py')
    if '_base_' not in p.parts)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_runs_a_test_step(config, data_root):
    cfg = Config.fromfile(Path(__file__).parents[1] / config)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model).eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    batch = pseudo_collate([dataset[i] for i in range(2)])
    channels = cfg.model.data_preprocessor.num_channels
    assert batch['inputs'][0].shape == (channels, 120, 120)
    with torch.no_grad():
        out = model.test_step(batch)
    assert out[0].pred_landmarks.shape == (68, 3)
    assert torch.isfinite(out[0].pred_params).all()
