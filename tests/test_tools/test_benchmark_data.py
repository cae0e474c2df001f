"""tools/analysis_tools/benchmark_data.py: the table and a tiny run."""
import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis_tools' / 'benchmark_data.py'


def _load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_data', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def test_format_table_throughput():
    """10 items in a 0.5 s run: 20 items/s, 50 ms each."""
    table = tool.format_table([('render', 10, 0.5)])
    header, rule, row = table.splitlines()
    assert header.split() == ['measure', 'items/s', 'ms/item']
    assert row.split() == ['render', '20.0', '50.00']


def test_synthetic_run(data_root, capsys):
    tool.main([
        '--num-samples', '2', '--batch-size', '2', '--repeats', '1',
        '--warmup', '0', '--img-size', '32'
    ])
    lines = capsys.readouterr().out.splitlines()
    assert 'image 32x32' in lines[0]
    rows = lines[3:]
    assert [r.split('  ')[0] for r in rows] == [
        'render, batch 2', 'synthetic batch 2 (render_samples)',
        'synthetic per sample (get_data_info)'
    ]
    assert all(float(r.split()[-2]) > 0 for r in rows)  # items/s
