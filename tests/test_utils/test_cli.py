"""add_common_args / apply_common_args: parsing and folding into a config."""
import argparse
import os

import pytest
from mmengine.config import Config

from mmface3d.utils import add_common_args, apply_common_args


@pytest.fixture
def no_local_rank(monkeypatch):
    """LOCAL_RANK unset for the test and restored afterwards."""
    monkeypatch.setenv('LOCAL_RANK', 'placeholder')
    monkeypatch.delenv('LOCAL_RANK')


def parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    add_common_args(parser)
    return parser.parse_args(argv)


def test_defaults(no_local_rank):
    args = parse(['configs/x/my_cfg.py', '--local-rank', '3'])
    cfg = apply_common_args(Config(dict(a=dict(b=1))), args)
    assert cfg.launcher == 'none' and cfg.a.b == 1
    assert cfg.work_dir == './work_dirs/my_cfg'
    assert os.environ['LOCAL_RANK'] == '3'


def test_command_line_wins(monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '1')  # set by the launcher: kept
    args = parse([
        'c.py', '--work-dir', 'out', '--cfg-options', 'a.b=2', 'c=[1,2]',
        '--launcher', 'pytorch', '--local_rank', '5'
    ])
    cfg = apply_common_args(Config(dict(a=dict(b=1), work_dir='w')), args)
    assert cfg.a.b == 2 and cfg.c == [1, 2] and cfg.launcher == 'pytorch'
    assert cfg.work_dir == 'out'
    assert os.environ['LOCAL_RANK'] == '1'


def test_config_work_dir_kept(no_local_rank):
    cfg = apply_common_args(Config(dict(work_dir='cfg_dir')), parse(['c.py']))
    assert cfg.work_dir == 'cfg_dir'
