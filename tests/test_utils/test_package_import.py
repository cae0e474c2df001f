"""``import mmface3d``: cheap (nothing heavy imported), and its check of the
installed mmengine / mmcv versions."""
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import mmface3d

HEAVY = ('torch', 'mmengine.runner', 'mmcv')


def test_import_is_cheap():
    """A fresh interpreter: importing the package (and reading its version)
    loads neither torch nor mmengine's runner nor mmcv."""
    code = ('import sys\n'
            'import mmface3d\n'
            'print(mmface3d.__version__)\n'
            f'print([m for m in {HEAVY!r} if m in sys.modules])\n')
    out = subprocess.run([sys.executable, '-c', code],
                         check=True,
                         capture_output=True,
                         text=True,
                         timeout=120).stdout.splitlines()
    assert out == [mmface3d.__version__, '[]']


def test_version_matches_the_installed_distribution():
    assert mmface3d.__version__ == metadata.version('mmface3d')


def fake_versions(monkeypatch, installed):
    """``importlib.metadata.version`` as seen by mmface3d, answering from
    ``installed`` (a missing name is not installed)."""

    def version(name):
        if name not in installed:
            raise metadata.PackageNotFoundError(name)
        return installed[name]

    monkeypatch.setattr(mmface3d.metadata, 'version', version)


def test_version_tuple():
    assert mmface3d._version_tuple('2.1.0') == (2, 1, 0)
    assert mmface3d._version_tuple('0.10.7+cu121') == (0, 10, 7)
    assert mmface3d._version_tuple('1.0') == (1, 0)


def test_requirements_accepted(monkeypatch):
    # the versions requirements/runtime.txt pins
    runtime = Path(mmface3d.__file__).parents[1] / 'requirements/runtime.txt'
    pins = dict(
        line.split('==') for line in runtime.read_text().split()
        if line.startswith(('mmcv', 'mmengine')))
    assert set(pins) == {'mmengine', 'mmcv-lite'}
    fake_versions(monkeypatch, pins)
    mmface3d._check_requirements()
    fake_versions(monkeypatch, {'mmengine': '0.10.7', 'mmcv': '2.1.0'})
    mmface3d._check_requirements()
    # mmcv-lite stands in for mmcv
    fake_versions(monkeypatch, {'mmengine': '0.10.0', 'mmcv-lite': '2.2.9'})
    mmface3d._check_requirements()


@pytest.mark.parametrize('installed,message', [
    ({
        'mmengine': '0.9.1',
        'mmcv': '2.1.0'
    }, r'mmengine>=0\.10\.0,<1\.0\.0, but mmengine==0\.9\.1 is installed'),
    ({
        'mmengine': '1.0.0',
        'mmcv': '2.1.0'
    }, r'mmengine==1\.0\.0'),
    ({
        'mmengine': '0.10.7',
        'mmcv': '2.3.0'
    }, r'mmcv>=2\.0\.0,<2\.3\.0, but mmcv==2\.3\.0'),
    ({
        'mmengine': '0.10.7'
    }, r'mmcv>=2\.0\.0,<2\.3\.0, but none is installed'),
])
def test_requirements_refused(monkeypatch, installed, message):
    fake_versions(monkeypatch, installed)
    with pytest.raises(ImportError, match=message) as info:
        mmface3d._check_requirements()
    assert 'pip install -r requirements/runtime.txt' in str(info.value)
