"""Shared fixtures: where the real data lives, and the devices to test on."""
import os
from pathlib import Path

import numpy as np
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


ANN = 'aflw2000_3d/annotations'
IMG_HEIGHT = 450.0
# 20 AFLW2000-3D images spread over the list (aflw_subset)
SUBSET = np.arange(0, 2000, 100)


@pytest.fixture(scope='session')
def bfm(data_root):
    """The 3DDFA BFM (v1 convention) in float64, built once."""
    from mmface3d.morphable import MorphableModel
    return MorphableModel().double()


@pytest.fixture(scope='session')
def aflw(data_root):
    """All of AFLW2000-3D as released: ``names``, ``img_dir``, the released
    boxes ``roi_box`` (2000, 4) float64, ``pts68`` (2000, 3, 68), ``yaw``
    (2000,) and the fits ``pose_para`` (2000, 7), ``shape_para``,
    ``exp_para`` as float64 tensors (from the ``.mat`` files)."""
    from mmface3d.morphable import load_fit_mat
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    img_dir = data_root / 'aflw2000_3d/AFLW2000'
    fits = [load_fit_mat(img_dir / n.replace('.jpg', '.mat')) for n in names]

    def stack(key):
        return torch.from_numpy(np.stack([fit[key] for fit in fits]))

    return dict(
        names=names,
        img_dir=img_dir,
        roi_box=np.load(data_root / ANN /
                        'AFLW2000-3D_crop.roi_box.npy').astype(np.float64),
        pts68=np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy'),
        yaw=np.load(data_root / ANN / 'AFLW2000-3D.pose.npy'),
        pose_para=stack('pose_para'),
        shape_para=stack('shape_para'),
        exp_para=stack('exp_para'))


@pytest.fixture(scope='session')
def aflw_subset(aflw):
    """The :data:`SUBSET` images: ``index`` (20,), ``params_img`` (20, 62)
    float64 image-frame GT params (v1, what datasets give as
    ``gt_params_img``) and ``params`` (20, 62) the same faces in the crop
    frame of the released boxes."""
    from mmface3d.morphable import fit_to_params
    args = (aflw['pose_para'][SUBSET], aflw['shape_para'][SUBSET],
            aflw['exp_para'][SUBSET], IMG_HEIGHT)
    return dict(
        index=SUBSET,
        params_img=fit_to_params(*args),
        params=fit_to_params(
            *args, roi_box=torch.from_numpy(aflw['roi_box'][SUBSET])))
