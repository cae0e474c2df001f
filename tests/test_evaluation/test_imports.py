"""The evaluation package reads ground truth from samples and needs no
dataset code; the datasets need no network code. Checked in a fresh
interpreter, as what a test session imported earlier would hide it."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REPORT = ('import json, sys; print(json.dumps(sorted(m for m in sys.modules '
          "if m.startswith('mmface3d'))))")


def loaded_modules(package):
    """The mmface3d modules a fresh interpreter holds after importing
    ``package``."""
    out = subprocess.run([sys.executable, '-c', f'import {package}; {REPORT}'],
                         cwd=REPO, capture_output=True, text=True, check=True)
    modules = json.loads(out.stdout.strip().splitlines()[-1])
    assert package in modules
    return modules


def test_evaluation_imports_no_datasets():
    modules = loaded_modules('mmface3d.evaluation')
    assert 'mmface3d.evaluation.metrics.dense_alignment_metric' in modules
    assert [m for m in modules if m.startswith('mmface3d.datasets')] == []


def test_datasets_import_no_networks():
    modules = loaded_modules('mmface3d.datasets')
    assert 'mmface3d.datasets.transforms.random_flip' in modules
    assert [m for m in modules if 'backbones' in m or 'heads' in m] == []
