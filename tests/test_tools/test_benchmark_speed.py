"""tools/analysis_tools/benchmark.py and benchmark_morphable.py: tiny runs
with the clock stubbed (every timed call runs for real once; its duration
is fixed), checked against the rates and times worked out by hand."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmface3d.registry import MODELS

CONFIG = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'


def table_rows(out):
    """The cells of the markdown table rows after the header rule."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('|-'))
    header = [c.strip() for c in lines[start - 1].split('|')[1:-1]]
    rows = [[c.strip() for c in line.split('|')[1:-1]]
            for line in lines[start + 1:] if line.startswith('|')]
    return header, rows


def test_model_and_pipeline_speed(load_tool, repo_root, data_root, tmp_path,
                                  capsys, stub_timer):
    """Batch 1: model 0.25 s (4 img/s), pipeline 0.5 s (2 img/s, 500 ms
    per image); batch 3: model 0.6 s (5 img/s), pipeline 1.2 s (2.5 img/s,
    400 ms per image)."""
    tool = load_tool('analysis_tools/benchmark.py')
    init_default_scope('mmface3d')
    model = MODELS.build(Config.fromfile(repo_root / CONFIG).model)
    checkpoint = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    timer = stub_timer(tool, [0.25, 0.5, 0.6, 1.2])
    tool.main([
        str(repo_root / CONFIG),
        str(checkpoint), '--batch-sizes', '1', '3', '--repeats', '1',
        '--warmup', '0'
    ])
    header, rows = table_rows(capsys.readouterr().out)
    assert header == [
        'batch', 'model (img/s)', 'pipeline (img/s)', 'pipeline ms/img'
    ]
    assert rows == [['1', '4.0', '2.0', '500.00'],
                    ['3', '5.0', '2.5', '400.00']]
    # what was timed: test steps on batches of the AFLW2000-3D test set
    # (model, pipeline, model, pipeline), the pipeline loading new images
    assert [len(r) for r in timer.results] == [1, 1, 3, 3]
    assert [[s.img_id for s in r] for r in timer.results] == [
        [0], [0], [0, 1, 2], [0, 1, 2]
    ]
    assert all(s.pred_landmarks.shape == (68, 3) for r in timer.results
               for s in r)


def test_morphable_speed(load_tool, data_root, capsys, stub_timer):
    """4 landmark sets in 2 ms (2000 faces/s), 2 meshes in 8 ms (250
    faces/s)."""
    tool = load_tool('analysis_tools/benchmark_morphable.py')
    timer = stub_timer(tool, [0.002, 0.008])
    tool.main([
        '--landmark-batch', '4', '--dense-batch', '2', '--repeats', '1',
        '--warmup', '0', '--layout', '3ddfa_v2'
    ])
    out = capsys.readouterr().out
    # REFERENCE.md section 1: the no-neck model has 38365 vertices
    assert '38365 vertices' in out.splitlines()[0]
    header, rows = table_rows(out)
    assert header == ['output', 'batch', 'ms / batch', 'faces / s']
    assert rows == [['68 landmarks', '4', '2.000', '2000'],
                    ['dense vertices', '2', '8.000', '250']]
    landmarks, mesh = timer.results
    assert tuple(landmarks.shape) == (4, 3, 68)
    assert tuple(mesh.shape) == (2, 3, 38365)


def test_morphable_full_model(load_tool, data_root, capsys, stub_timer):
    """The default layout: the 53215-vertex BFM (REFERENCE.md section 1)."""
    tool = load_tool('analysis_tools/benchmark_morphable.py')
    stub_timer(tool, [0.001, 0.001])
    tool.main(['--landmark-batch', '1', '--dense-batch', '1', '--repeats',
               '1', '--warmup', '0'])
    assert '53215 vertices' in capsys.readouterr().out.splitlines()[0]
