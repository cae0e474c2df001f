"""Shared fixtures: where the real data lives, and the devices to test on."""
import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def _find_data_root():
    env = os.environ.get('MMFACE3D_DATA')
    for candidate in (env, REPO.parent / 'shared' / 'data', REPO / 'data'):
        if candidate and (Path(candidate) / 'bfm').is_dir():
            return Path(candidate).absolute()
    return None


DATA_ROOT = _find_data_root()
if DATA_ROOT is not None:
    # Point mmface3d at the real data, as CI does. A relative root (the
    # README's `../shared/data`) is taken relative to where pytest started,
    # then fixed as absolute so that tests changing directory keep it;
    # tests/test_utils/test_data_root.py runs the relative forms.
    os.environ['MMFACE3D_DATA'] = str(DATA_ROOT)
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.fixture(scope='session')
def data_root():
    """The real data root (``$MMFACE3D_DATA`` or ``../shared/data``)."""
    if DATA_ROOT is None:
        pytest.skip('real data not found: set MMFACE3D_DATA')
    return DATA_ROOT


@pytest.fixture(params=DEVICES)
def device(request):
    """Each device geometry tests run on: CPU, plus CUDA when present."""
    return torch.device(request.param)
