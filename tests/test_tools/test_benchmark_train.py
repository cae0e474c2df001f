"""tools/analysis_tools/benchmark_train.py: one backbone measured in this
process with the clock stubbed (the training step runs once for real), and
the table of the per-backbone subprocesses (stubbed) worked out by hand. No
timing is asserted."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = 'analysis_tools/benchmark_train.py'
TERMS = {'loss', 'loss_3d', 'loss_2d_con', 'loss_cyc', 'loss_3d_con',
         'loss_sc', 'loss_critic', 'critic_real', 'critic_fake'}


def table_rows(out):
    """The header cells and the cells of the rows after the header rule."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('|-'))
    header = [c.strip() for c in lines[start - 1].split('|')[1:-1]]
    rows = [[c.strip() for c in line.split('|')[1:-1]]
            for line in lines[start + 1:] if line.startswith('|')]
    return header, rows


def test_measure_one_backbone(tool, stub_timer, data_root, tmp_path,
                              monkeypatch):
    """MobileNetV1-0.5, batch 4, one step of 0.5 s: 8 img/s. Run from
    another directory (the tool finds its config, writes nothing here)."""
    monkeypatch.chdir(tmp_path)
    timer = stub_timer(tool, [0.5])
    args = tool.parse_args(['--backbones', 'mbv1-0.5', '--batch-size', '4',
                            '--repeats', '1', '--warmup', '0'])
    args.one = 'mbv1-0.5'
    row = tool.measure(args)
    assert row['backbone'] == 'mbv1-0.5'
    assert row['seconds'] == 0.5 and row['images_per_s'] == 8.0
    assert row['peak_gb'] > 0
    # what was timed: a whole 2DASL step, every term and the critic's
    (log_vars, ) = timer.results
    assert set(log_vars) == TERMS
    assert not list(tmp_path.iterdir())


def fake_children(rows, calls):
    """Stands in for ``subprocess.run``: each child prints its row as the
    last line of its output."""

    def run(command, check, capture_output, text):
        assert check and capture_output and text
        calls.append(command)
        name = command[command.index('--one') + 1]
        return subprocess.CompletedProcess(
            command, 0, stdout='a warning\n' + json.dumps(rows[name]) + '\n')

    return run


@pytest.mark.parametrize('extra, mode', [
    ([], ''),
    (['--amp', '--channels-last'], ', bf16 autocast, channels_last'),
])
def test_table(tool, monkeypatch, capsys, extra, mode):
    """mbv1-0.5: 0.5 s for 4 images = 8.0 img/s, 1.5 GB; r50: 2 s = 2.0
    img/s, 3.25 GB."""
    rows = {
        'mbv1-0.5': dict(backbone='mbv1-0.5', images_per_s=8.0, seconds=0.5,
                         peak_gb=1.5),
        'r50': dict(backbone='r50', images_per_s=2.0, seconds=2.0,
                    peak_gb=3.25),
    }
    calls = []
    monkeypatch.setattr(tool.subprocess, 'run', fake_children(rows, calls))
    argv = ['--backbones', 'mbv1-0.5', 'r50', '--batch-size', '4',
            '--repeats', '3'] + extra
    tool.main(argv)
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith('TwoDASL training step on cpu (')
    assert first.endswith(f'threads), batch 4{mode}, median of 3')
    header, table = table_rows(out)
    assert header == ['backbone (4 channels)', 's / iteration', 'img/s',
                      'peak memory (GB)']
    assert table == [['mbv1-0.5', '0.50', '8.0', '1.50'],
                     ['r50', '2.00', '2.0', '3.25']]
    # one child per backbone, this interpreter and tool, the other options
    # passed on
    script = str(Path(tool.__file__))
    assert calls == [[sys.executable, script, '--one', name, '--batch-size',
                      '4', '--repeats', '3'] + extra
                     for name in ('mbv1-0.5', 'r50')]
