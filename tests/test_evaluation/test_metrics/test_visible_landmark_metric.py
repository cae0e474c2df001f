"""The generic 68-point metric on the synthetic validation set."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmface3d.registry import DATASETS, METRICS

CONFIG = Path(__file__).parents[3] / 'configs/_base_/datasets' / \
    'synthetic_faces.py'


@pytest.fixture(scope='module')
def samples(data_root):
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmface3d')
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, length=4))
    return cfg, [dataset[i]['data_samples'] for i in range(4)]


@pytest.mark.parametrize('offset', [(0.0, 0.0), (3.0, 4.0)])
def test_synthetic_val_nme(samples, offset):
    cfg, data_samples = samples
    metric = METRICS.build(cfg.val_evaluator)
    expected = []
    for sample in data_samples:
        gt = sample.gt_landmarks_img.numpy()[:, :2]
        pred = np.concatenate([gt + offset, np.zeros((68, 1))], 1)
        sample.pred_landmarks = torch.from_numpy(pred)
        size = gt.max(0) - gt.min(0)
        expected.append(np.hypot(*offset) / np.sqrt(size.prod()))
    metric.process(None, data_samples)
    out = metric.evaluate(len(data_samples))
    assert out['synthetic/nme_68_2d_all'] == pytest.approx(
        100 * np.mean(expected), rel=1e-5, abs=1e-6)
