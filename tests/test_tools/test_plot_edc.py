"""tools/analysis_tools/plot_edc.py on predictions built from the real
AFLW2000-3D annotations with known errors."""
from pathlib import Path

import numpy as np
import pytest

from mmface3d.evaluation.functional import save_predictions

TOOL = 'analysis_tools/plot_edc.py'
ANN = 'aflw2000_3d/annotations'


def test_cumulative_curve_hand_computed(tool):
    nme = np.array([3.0, 1.0, 4.0, 2.0])
    curve = tool.cumulative_curve(nme, np.array([0.0, 1.0, 2.5, 4.0, 5.0]))
    assert curve.tolist() == [0.0, 0.25, 0.5, 1.0, 1.0]


def test_parse_pred_specs(tool):
    methods = tool.parse_pred_specs(['a=x.npz', 'b=dir/y=z.npz'])
    assert methods == {'a': Path('x.npz'), 'b': Path('dir/y=z.npz')}
    with pytest.raises(ValueError, match='NAME=PATH'):
        tool.parse_pred_specs(['x.npz'])
    with pytest.raises(ValueError, match='given twice'):
        tool.parse_pred_specs(['a=x.npz', 'a=y.npz'])


def test_re_annotation_has_no_3d(tool, tmp_path):
    with pytest.raises(SystemExit):
        tool.parse_args([
            '--pred', 'a=x.npz', '--out', 'e.png', '--gt', 're', '--dims', '3d'
        ])


@pytest.fixture(scope='module')
def prediction_files(data_root, tmp_path_factory):
    """Two methods: the ground truth itself (0 %), and every image moved by
    2 % of its bbox size; the original 68 points read straight from
    ``AFLW2000-3D.pts68.npy``."""
    gt = np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy').transpose(0, 2, 1)
    size = np.sqrt(np.prod(gt[..., :2].max(1) - gt[..., :2].min(1), 1))
    shifted = gt.copy()
    shifted[..., 0] += 0.02 * size[:, None]
    # the crop maps play no part in the landmark NME: any will do
    crop_affines = np.tile(
        np.array([[1.2, 0, -10], [0, 1.2, -20]], np.float32), (2000, 1, 1))
    folder = tmp_path_factory.mktemp('preds')
    files = {}
    for name, landmarks in (('exact', gt), ('shifted', shifted)):
        files[name] = save_predictions(
            folder / name,
            dict(img_ids=np.arange(2000),
                 pred_params=np.zeros((2000, 62), np.float32),
                 pred_landmarks=landmarks.astype(np.float32),
                 crop_affines=crop_affines))
    return files


def table_row(table, label):
    for line in table.splitlines():
        cells = [c.strip() for c in line.split('|')[1:-1]]
        if cells and cells[0] == label:
            return cells[1:]
    raise AssertionError(f'no row {label} in\n{table}')


def test_plot_two_methods(tool, data_root, prediction_files, tmp_path):
    out = tmp_path / 'edc.png'
    tables = tool.main([
        '--pred', f'exact={prediction_files["exact"]}', '--pred',
        f'shifted={prediction_files["shifted"]}', '--dims', '2d', '3d',
        '--out',
        str(out), '--data-root',
        str(data_root)
    ])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert table_row(tables[0],
                     'images') == ['1312', '383', '305', '', '', '2000']
    assert table_row(tables[0], '2D') == ['0.00'] * 6
    # a pure x shift: the same 2 % in 2D and 3D, in every bucket
    for dim in ('2D', '3D'):
        assert table_row(tables[1],
                         dim) == ['2.00'] * 3 + ['2.00', '0.00', '2.00']


def test_subset_1998_reannotated(tool, data_root, prediction_files, tmp_path):
    tables = tool.main([
        '--pred', f'exact={prediction_files["exact"]}', '--subset', '1998',
        '--gt', 're', '--out',
        str(tmp_path / 'e.png'), '--data-root',
        str(data_root)
    ])
    assert table_row(tables[0],
                     'images') == ['1311', '383', '304', '', '', '1998']


def test_partial_predictions(tool, data_root, prediction_files, tmp_path):
    with np.load(prediction_files['shifted']) as data:
        some = {key: data[key][:10] for key in data.files}
    path = save_predictions(tmp_path / 'some.npz', some)
    args = [
        '--pred', f'some={path}', '--out',
        str(tmp_path / 'e.png'), '--data-root',
        str(data_root)
    ]
    with pytest.raises(ValueError, match='1990 of 2000 images'):
        tool.main(args)
    tables = tool.main(args + ['--allow-partial'])
    assert table_row(tables[0], '2D')[-1] == '2.00'
    assert table_row(tables[0], 'images')[-1] == '10'


def test_command_line(run_tool, readme_env, prediction_files, tmp_path):
    """Run as the README sets up: from the checkout, the data root in
    ``MMFACE3D_DATA`` relative to it, no ``--data-root``."""
    out = tmp_path / 'cli.png'
    shifted = prediction_files['shifted']
    result = run_tool(TOOL, '--pred', f'shifted={shifted}', '--out', out,
                      env=readme_env)
    assert f'saved {out}' in result.stdout and out.is_file()
    assert '| 2D ' in result.stdout and '2.00' in result.stdout
