from pathlib import Path

import pytest

import mmface3d
from mmface3d.utils import DATA_ENV, get_data_root, resolve_data_path
from mmface3d.utils.data_root import REPO_DATA


def test_priority(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / 'env'))
    assert get_data_root(tmp_path / 'explicit') == tmp_path / 'explicit'
    assert get_data_root() == tmp_path / 'env'
    monkeypatch.delenv(DATA_ENV)
    assert get_data_root() == REPO_DATA
    assert REPO_DATA == Path(mmface3d.__file__).parents[1] / 'data'


def test_resolve(tmp_path, monkeypatch):
    (tmp_path / 'bfm').mkdir()
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert resolve_data_path('bfm') == tmp_path / 'bfm'
    explicit = resolve_data_path(tmp_path / 'bfm', '/elsewhere')
    assert explicit == tmp_path / 'bfm'
    with pytest.raises(FileNotFoundError, match=f'bfm/u_shp.npy.*{DATA_ENV}'):
        resolve_data_path('bfm/u_shp.npy')
    assert not resolve_data_path('nothing', must_exist=False).exists()


def test_version_check():
    assert mmface3d.__version__ == '0.1.0'
    mmface3d._check_version('mmengine', '0.10.7', '0.10.0', '1.0.0')
    with pytest.raises(ImportError, match=r'mmengine>=0.10.0,<1.0.0.*0.9.1'):
        mmface3d._check_version('mmengine', '0.9.1', '0.10.0', '1.0.0')
