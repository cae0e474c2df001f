"""Fixtures of the geometry tests: the BFM and the AFLW2000-3D fits."""
import numpy as np
import pytest
import torch

from mmface3d.morphable import MorphableModel, fit_to_params, load_fit_mat

ANN = 'aflw2000_3d/annotations'
IMG_HEIGHT = 450.0
SUBSET = np.arange(0, 2000, 100)


@pytest.fixture(scope='session')
def bfm(data_root):
    """The 3DDFA BFM (v1 convention) in float64, built once."""
    return MorphableModel().double()


@pytest.fixture(scope='session')
def aflw(data_root):
    """All 2000 AFLW2000-3D fits (float64 tensors ``pose_para`` (2000, 7),
    ``shape_para``, ``exp_para``), the released boxes ``roi_box`` (2000, 4)
    float64 tensor and the annotation arrays ``pts68`` (2000, 3, 68) and
    ``yaw`` (2000,)."""
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    fits = [
        load_fit_mat(data_root / 'aflw2000_3d/AFLW2000' /
                     name.replace('.jpg', '.mat')) for name in names
    ]

    def stack(key):
        return torch.from_numpy(np.stack([fit[key] for fit in fits]))

    return dict(
        names=names,
        pose_para=stack('pose_para'),
        shape_para=stack('shape_para'),
        exp_para=stack('exp_para'),
        roi_box=torch.from_numpy(
            np.load(data_root / ANN /
                    'AFLW2000-3D_crop.roi_box.npy')).double(),
        pts68=np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy'),
        yaw=np.load(data_root / ANN / 'AFLW2000-3D.pose.npy'))


@pytest.fixture(scope='session')
def aflw_subset(aflw):
    """20 images spread over the list: ``index`` (20,) and ``params``
    (20, 62) float64 GT crop params in the frame of the released boxes (v1
    convention)."""
    params = fit_to_params(aflw['pose_para'][SUBSET],
                           aflw['shape_para'][SUBSET],
                           aflw['exp_para'][SUBSET],
                           IMG_HEIGHT,
                           roi_box=aflw['roi_box'][SUBSET])
    return dict(index=SUBSET, params=params)
