"""tools/analysis_tools/benchmark.py and benchmark_morphable.py: tiny runs
and the printed tables."""
import importlib.util
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmface3d.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tools' / 'analysis_tools'
CONFIG = REPO / 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows(out):
    """The cells of the markdown table rows after the header rule."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('|-'))
    return [[c.strip() for c in line.split('|')[1:-1]]
            for line in lines[start + 1:] if line.startswith('|')]


def test_model_and_pipeline_speed(data_root, tmp_path, capsys):
    init_default_scope('mmface3d')
    model = MODELS.build(Config.fromfile(CONFIG).model)
    checkpoint = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    _load_tool('benchmark').main([
        str(CONFIG), str(checkpoint), '--batch-sizes', '1', '3',
        '--repeats', '1', '--warmup', '0'
    ])
    rows = table_rows(capsys.readouterr().out)
    assert [r[0] for r in rows] == ['1', '3']
    for batch, model_rate, pipe_rate, ms in rows:
        assert float(pipe_rate) > 0 and float(model_rate) > 0
        # ms per image of the pipeline is the inverse of its rate
        assert float(ms) == pytest.approx(1e3 / float(pipe_rate), rel=0.02)


def test_morphable_speed(data_root, capsys):
    _load_tool('benchmark_morphable').main([
        '--landmark-batch', '4', '--dense-batch', '2', '--repeats', '1',
        '--warmup', '0', '--layout', '3ddfa_v2'
    ])
    out = capsys.readouterr().out
    assert '38365 vertices' in out.splitlines()[0]
    rows = table_rows(out)
    assert [r[:2] for r in rows] == [['68 landmarks', '4'],
                                     ['dense vertices', '2']]
    for _, batch, ms, rate in rows:
        assert float(rate) == pytest.approx(
            int(batch) / float(ms) * 1e3, rel=0.05)
