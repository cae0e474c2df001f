"""tools/analysis_tools/benchmark_data.py: timing helpers and a tiny run."""
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


def test_time_runs_counts_calls():
    calls = []
    times = tool.time_runs(lambda: calls.append(1), repeats=3, warmup=2,
                           sync=lambda: None)
    assert len(calls) == 5 and len(times) == 3
    assert all(t >= 0 for t in times)


def test_format_table_median_throughput():
    """10 items in a median 0.5 s run: 20 items/s, 50 ms each."""
    table = tool.format_table([('render', 10, [0.4, 0.5, 2.0])])
    header, rule, row = table.splitlines()
    assert header.split() == ['measure', 'items/s', 'ms/item', 'runs']
    assert row.split() == ['render', '20.0', '50.00', '3']


def test_synthetic_run(data_root, capsys):
    tool.main([
        '--num-samples', '2', '--batch-size', '2', '--repeats', '1',
        '--warmup', '0'
    ])
    out = capsys.readouterr().out
    assert 'render, batch 2' in out and 'per sample' in out
