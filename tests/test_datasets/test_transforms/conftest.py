"""Fixtures of the transform tests: the BFM and slices of AFLW2000-3D."""
import numpy as np
import pytest
import torch

from mmface3d.morphable import MorphableModel, fit_to_params, load_fit_mat

ANN = 'aflw2000_3d/annotations'
IMG_HEIGHT = 450.0
SUBSET = np.arange(0, 2000, 100)


@pytest.fixture(scope='session')
def bfm(data_root):
    """The 3DDFA BFM in float64, built once for the whole session."""
    return MorphableModel().double()


@pytest.fixture(scope='session')
def aflw(data_root):
    """Names, released boxes and landmarks of all 2000 AFLW2000-3D images."""
    return dict(
        names=(data_root / ANN / 'AFLW2000-3D.list').read_text().split(),
        roi_box=np.load(data_root / ANN / 'AFLW2000-3D_crop.roi_box.npy'),
        pts68=np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy'),
        img_dir=data_root / 'aflw2000_3d/AFLW2000')


@pytest.fixture(scope='session')
def aflw_subset(bfm, aflw):
    """20 images spread over the list: ``index`` (20,), ``params_img``
    (20, 62) float64 image-frame GT params (v1 convention, what datasets
    give as ``gt_params_img``) and ``params`` (20, 62) the same faces in the
    crop frame of the released boxes."""
    fits = [
        load_fit_mat(aflw['img_dir'] /
                     aflw['names'][i].replace('.jpg', '.mat'))
        for i in SUBSET
    ]

    def stack(key):
        return torch.from_numpy(np.stack([fit[key] for fit in fits]))

    args = (stack('pose_para'), stack('shape_para'), stack('exp_para'),
            IMG_HEIGHT)
    return dict(
        index=SUBSET,
        params_img=fit_to_params(*args),
        params=fit_to_params(
            *args, torch.from_numpy(aflw['roi_box'][SUBSET]).double()))


def _nme_percent(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(B,) mean 2D point error of (B, 68, 2+) points over sqrt(w h) of the
    GT bbox, in percent."""
    size = np.sqrt((gt[:, :, :2].max(1) - gt[:, :, :2].min(1)).prod(1))
    err = np.linalg.norm(pred[:, :, :2] - gt[:, :, :2], axis=2).mean(1)
    return 100 * err / size


@pytest.fixture(scope='session')
def nme_percent():
    """The bbox-normalised 68-point NME, in percent, as a function."""
    return _nme_percent
