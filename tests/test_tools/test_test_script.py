"""End to end: the converted 3DDFA_V2 model through tools/test.py on the
whole AFLW2000-3D benchmark (REFERENCE.md section 6)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmface3d.evaluation.functional import load_predictions

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'
ANN = 'aflw2000_3d/annotations'


@pytest.fixture(scope='module')
def checkpoint(data_root, tmp_path_factory):
    out = tmp_path_factory.mktemp('ckpt') / '3ddfa_v2_mb05.pth'
    subprocess.run([
        sys.executable,
        str(REPO / 'tools/model_converters/tddfa_v2_to_mmface3d.py'),
        str(data_root / 'weights/3ddfa_v2_mb05_120x120.pth'),
        str(out)
    ], check=True, capture_output=True)
    return out


def run_test(*args):
    return subprocess.run([sys.executable, str(REPO / 'tools/test.py'), *args],
                          check=True, capture_output=True, text=True,
                          cwd=REPO)


@pytest.mark.e2e
def test_aflw2000_benchmark_reproduces_reference(data_root, checkpoint,
                                                 tmp_path):
    preds = tmp_path / 'preds.npz'
    run_test(str(CONFIG), str(checkpoint), '--work-dir',
             str(tmp_path / 'work'), '--out', str(preds))
    saved = load_predictions(preds)
    np.testing.assert_array_equal(saved['img_ids'], np.arange(2000))
    # NME recomputed here from the saved landmarks and the benchmark files.
    gt = np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy')[:, :2]
    yaw = np.abs(np.load(data_root / ANN / 'AFLW2000-3D.pose.npy'))
    pred = saved['pred_landmarks'].transpose(0, 2, 1)[:, :2]
    size = gt.max(2) - gt.min(2)
    nme = np.linalg.norm(pred - gt, axis=1).mean(1) / np.sqrt(size.prod(1))
    buckets = [nme[yaw <= 30], nme[(yaw > 30) & (yaw <= 60)], nme[yaw > 60]]
    assert [len(b) for b in buckets] == [1312, 383, 305]
    assert nme.mean() * 100 == pytest.approx(3.35, abs=0.05)
    assert np.mean([b.mean() for b in buckets]) * 100 == pytest.approx(
        3.79, abs=0.05)


@pytest.mark.e2e
def test_show_dir_writes_overlays(data_root, checkpoint, tmp_path):
    result = run_test(
        str(CONFIG), str(checkpoint), '--work-dir', str(tmp_path / 'work'),
        '--show-dir', str(tmp_path / 'overlays'), '--cfg-options',
        'test_dataloader.dataset.indices=4',
        'test_dataloader.batch_size=4', 'test_evaluator.0.allow_partial=True')
    pngs = sorted(p.name for p in (tmp_path / 'overlays').glob('*.png'))
    assert pngs == [
        'image00002.png', 'image00004.png', 'image00006.png',
        'image00008.png'
    ]
    assert '4 of 2000 images' in result.stdout + result.stderr
