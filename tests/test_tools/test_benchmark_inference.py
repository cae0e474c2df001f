"""tools/analysis_tools/benchmark_inference.py on a few images (the figures
of docs/benchmarks.md come from full runs); timings come from a fake clock,
the tables are checked for what was measured."""
import pytest

TOOL = 'analysis_tools/benchmark_inference.py'
CONFIG = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'


def test_detection_and_accuracy_tables(tool, converted_3ddfa_v2, data_root,
                                       capsys):
    tool.main([CONFIG, str(converted_3ddfa_v2), '--parts', 'detection',
               'accuracy', '--num-detection', '3', '--num-accuracy', '2'])
    out = capsys.readouterr().out
    # images 0, 1, 2 are found by FaceBoxes (detection rate of the slice)
    assert '| crop box of a detection vs benchmark crop box, IoU >= 0.5 | ' \
        '3 | 100.00 % |' in out
    assert 'Accuracy with FaceBoxes boxes: 2 AFLW2000-3D images' in out
    rows = [line for line in out.splitlines()
            if line.startswith('| detector box') and '%' in line
            and 'IoU' not in line]
    assert len(rows) == 2
    for row in rows:
        nme_detected, nme_benchmark = (float(v) for v in
                                       row.strip('| ').split(' | ')[2:])
        assert 1 < nme_detected < 8 and 1 < nme_benchmark < 8


def test_speed_table(tool, converted_3ddfa_v2, stub_timer, capsys):
    # end to end torch, onnxruntime; network torch, onnxruntime (seconds)
    timer = stub_timer(tool, [0.5, 0.25, 0.006, 0.002])
    tool.main([CONFIG, str(converted_3ddfa_v2), '--parts', 'speed',
               '--num-speed', '2'])
    out = capsys.readouterr().out
    assert timer.results[:2] == [2, 2]  # two images, one face each
    assert '| end to end, torch | 4.0 | 250.00 |' in out
    assert '| end to end, onnxruntime | 8.0 | 125.00 |' in out
    assert '| network alone, batch 1, onnxruntime | 500.0 | 2.00 |' in out
    assert 'network at batch 1: 3.00x' in out


def test_parts_are_checked(tool):
    with pytest.raises(SystemExit):
        tool.parse_args([CONFIG, 'x.pth', '--parts', 'everything'])
