"""tools/analysis_tools/landmark_offsets.py on predictions built from the real
AFLW2000-3D annotations moved by a known offset."""
import numpy as np
import pytest

from mmface3d.evaluation.functional import save_predictions

TOOL = 'analysis_tools/landmark_offsets.py'
ANN = 'aflw2000_3d/annotations'
OFFSET = (0.5, -2.0)


@pytest.fixture(scope='module')
def moved(data_root, tmp_path_factory):
    """The original 68 points of ``AFLW2000-3D.pts68.npy`` moved by
    :data:`OFFSET` pixels, saved as ``tools/test.py --out`` does, and their
    NME (%) per image computed here: |offset| / sqrt(w * h)."""
    gt = np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy').transpose(0, 2, 1)
    size = np.sqrt(np.prod(gt[..., :2].max(1) - gt[..., :2].min(1), 1))
    pred = gt.copy()
    pred[..., :2] += OFFSET
    path = save_predictions(
        tmp_path_factory.mktemp('preds') / 'moved',
        dict(img_ids=np.arange(2000),
             pred_params=np.zeros((2000, 62), np.float32),
             pred_landmarks=pred.astype(np.float32),
             crop_affines=np.tile(np.eye(2, 3, dtype=np.float32),
                                  (2000, 1, 1))))
    return path, 100 * np.hypot(*OFFSET) / size


def test_offsets_and_shifted_nme(tool, data_root, moved):
    path, nme = moved
    ann = tool.load_ground_truth(str(data_root), 'ori')
    row = tool.offset_rows(path, ann, -np.array(OFFSET))
    np.testing.assert_allclose(row['mean'], OFFSET, atol=1e-4)
    np.testing.assert_allclose(row['median'], OFFSET, atol=1e-4)
    assert row['nme'][0] == pytest.approx(nme.mean(), rel=1e-5)
    # moving the points back by the offset recovers the ground truth
    assert row['shifted'][0] == pytest.approx(0, abs=1e-4)
    assert row['shifted'][1] == pytest.approx(0, abs=1e-4)


def test_command_line(tool, data_root, moved, capsys):
    path, nme = moved
    assert tool.main([str(path), '--data-root', str(data_root),
                      '--shift', '-0.5', '2']) == 0
    row = capsys.readouterr().out.splitlines()[-1].replace(',', ' ').split()
    assert row[0] == path.name
    assert [float(v) for v in row[1:5]] == [0.5, -2.0, 0.5, -2.0]
    assert float(row[5]) == pytest.approx(nme.mean(), abs=5e-4)
    assert float(row[8]) == 0


def test_missing_file(tool, data_root, tmp_path, capsys):
    assert tool.main([str(tmp_path / 'none.npz'), '--data-root',
                      str(data_root)]) == 1
    assert 'none.npz does not exist' in capsys.readouterr().err
