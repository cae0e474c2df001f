"""tools/analysis_tools/benchmark_data.py: the table, and tiny runs with the
clock stubbed (each measure runs for real once; its duration is fixed)."""
import pytest

TOOL = 'analysis_tools/benchmark_data.py'


def rows_of(out):
    """The table rows as (name, items/s, ms/item), after the rule line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('--'))
    return [tuple(line.rsplit(None, 2)) for line in lines[start + 1:]]


def test_format_table_throughput(tool):
    """10 items in a 0.5 s run: 20 items/s, 50 ms each."""
    table = tool.format_table([('render', 10, 0.5), ('a longer name', 4, 2)])
    header, rule, *rows = table.splitlines()
    assert header.split() == ['measure', 'items/s', 'ms/item']
    assert rows[0].split() == ['render', '20.0', '50.00']
    assert rows[1].rsplit(None, 2) == ['a longer name', '2.0', '500.00']
    # columns aligned under the header
    assert len({len(line) for line in (header, rule, *rows)}) == 1


def test_synthetic_run(tool, data_root, capsys, stub_timer):
    """2-face batches rendered for real; 0.5 s per batch render, 0.25 s per
    render_samples batch, 0.8 s for the 2 samples one at a time."""
    timer = stub_timer(tool, [0.5, 0.25, 0.8])
    tool.main([
        '--num-samples', '2', '--batch-size', '2', '--repeats', '1',
        '--warmup', '0', '--img-size', '32'
    ])
    out = capsys.readouterr().out
    assert 'image 32x32' in out.splitlines()[0]
    assert rows_of(out) == [
        ('render, batch 2', '4.0', '250.00'),
        ('synthetic batch 2 (render_samples)', '8.0', '125.00'),
        ('synthetic per sample (get_data_info)', '2.5', '400.00'),
    ]
    # what was timed: 2 rendered 32x32 faces, 2 samples, 2 samples
    assert tuple(timer.results[0].image.shape) == (2, 32, 32, 3)
    assert [len(r) for r in timer.results[1:]] == [2, 2]
    assert all(r['img'].shape[:2] == (32, 32) for r in timer.results[2])


def test_config_dataloader_run(tool, data_root, repo_root, capsys,
                               stub_timer):
    """The synthetic config's val dataloader without workers: 2 batches of
    2 (one for start-up), the timed one taking 0.4 s."""
    stub_timer(tool, [0.4])
    tool.main([
        '--config',
        str(repo_root / 'configs/_base_/datasets/synthetic_faces.py'),
        '--skip-synthetic', '--workers', '0', '--num-samples', '2',
        '--batch-size', '2', '--repeats', '1', '--warmup', '0',
        '--cfg-options', 'val_dataloader.dataset.length=4'
    ])
    assert rows_of(capsys.readouterr().out) == [
        ('SyntheticFaceDataset (val), 0 workers', '5.0', '200.00')
    ]


def test_nothing_to_time(tool):
    with pytest.raises(SystemExit, match='--skip-synthetic needs --config'):
        tool.main(['--skip-synthetic'])
