"""Face3DVisualizationHook: which batches it draws and where the PNGs go."""
from types import SimpleNamespace

import cv2
import numpy as np
import torch

from mmface3d.engine import Face3DVisualizationHook
from mmface3d.structures import Face3DDataSample
from mmface3d.visualization import Face3DLocalVisualizer


def outputs(folder, names):
    """Samples whose predicted landmarks sit at pixel (10, 12) of grey
    40x30 images written to ``folder``."""
    samples = []
    for name in names:
        path = folder / f'{name}.jpg'
        cv2.imwrite(str(path), np.full((30, 40, 3), 128, np.uint8))
        sample = Face3DDataSample(
            metainfo=dict(
                img_path=str(path),
                roi_box=np.array([0.0, 0.0, 30.0, 30.0], np.float32)))
        sample.pred_landmarks = torch.tensor([[10.0, 12.0, 0.0]]).repeat(
            68, 1)
        samples.append(sample)
    return samples


def test_draws_every_interval_th_batch(tmp_path):
    runner = SimpleNamespace(
        log_dir=str(tmp_path / 'log'),
        iter=0,
        visualizer=Face3DLocalVisualizer(name='hook_vis', radius=1))
    hook = Face3DVisualizationHook(enable=True, interval=2, out_dir='vis')
    hook.after_test_iter(runner, 0, {}, outputs(tmp_path, ['a', 'b']))
    hook.after_val_iter(runner, 1, {}, outputs(tmp_path, ['c']))
    hook.after_val_iter(runner, 2, {}, outputs(tmp_path, ['d']))
    written = sorted(p.name for p in (tmp_path / 'log' / 'vis').iterdir())
    assert written == ['a.png', 'b.png', 'd.png']  # batch 1 skipped
    drawn = cv2.imread(str(tmp_path / 'log' / 'vis' / 'a.png'))
    assert drawn.shape == (30, 40, 3)
    assert drawn[12, 10, 1] > 200 and drawn[12, 10, 0] < 50  # green point
    assert (np.abs(drawn[25:, 35:].astype(int) - 128) <= 2).all()


def test_disabled_draws_nothing(tmp_path):
    runner = SimpleNamespace(
        log_dir=str(tmp_path / 'log'), iter=0, visualizer=None)
    hook = Face3DVisualizationHook(out_dir='vis')
    hook.after_test_iter(runner, 0, {}, outputs(tmp_path, ['a']))
    assert not (tmp_path / 'log').exists()
