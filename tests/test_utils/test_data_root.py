"""get_data_root / resolve_data_path: priority, absolute results, relative
roots (the README's ``MMFACE3D_DATA=../shared/data``) taken against the
working directory exactly once, and the real data through a relative root.
"""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import mmface3d
from mmface3d.datasets import AFLW2000Dataset
from mmface3d.evaluation import DenseAlignmentMetric
from mmface3d.morphable import (MorphableModel, box_affine, mirror,
                                morphable_model, transform_params)
from mmface3d.utils import DATA_ENV, get_data_root, resolve_data_path
from mmface3d.utils.data_root import REPO_DATA

REPO = Path(__file__).resolve().parents[2]


def test_priority(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / 'env'))
    assert get_data_root(tmp_path / 'explicit') == tmp_path / 'explicit'
    assert get_data_root() == tmp_path / 'env'
    monkeypatch.delenv(DATA_ENV)
    assert get_data_root() == REPO_DATA
    assert REPO_DATA == Path(mmface3d.__file__).parents[1] / 'data'
    # an empty variable counts as unset
    monkeypatch.setenv(DATA_ENV, '')
    assert get_data_root() == REPO_DATA


def test_resolve(tmp_path, monkeypatch):
    (tmp_path / 'bfm').mkdir()
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert resolve_data_path('bfm') == tmp_path / 'bfm'
    explicit = resolve_data_path(tmp_path / 'bfm', '/elsewhere')
    assert explicit == tmp_path / 'bfm'
    with pytest.raises(FileNotFoundError, match=f'bfm/u_shp.npy.*{DATA_ENV}'):
        resolve_data_path('bfm/u_shp.npy')
    assert not resolve_data_path('nothing', must_exist=False).exists()


@pytest.fixture
def layout(tmp_path, monkeypatch):
    """``tmp/checkout`` (the cwd) next to ``tmp/data/bfm/x.npy``, as the
    README's ``../shared/data`` sits next to the checkout."""
    data = tmp_path / 'data'
    (data / 'bfm').mkdir(parents=True)
    (data / 'bfm' / 'x.npy').write_bytes(b'x')
    checkout = tmp_path / 'checkout'
    checkout.mkdir()
    monkeypatch.chdir(checkout)
    return dict(data=data.resolve(),
                checkout=checkout.resolve(),
                elsewhere=tmp_path)


@pytest.mark.parametrize('where', ['env', 'explicit'])
def test_relative_root_resolves_once_against_cwd(layout, monkeypatch, where):
    if where == 'env':
        monkeypatch.setenv(DATA_ENV, '../data')
        explicit = None
    else:
        monkeypatch.setenv(DATA_ENV, '/nowhere')
        explicit = '../data'
    root = get_data_root(explicit)
    assert root.is_absolute()
    assert root.resolve() == layout['data']
    path = resolve_data_path('bfm/x.npy', explicit)
    assert path.is_absolute() and path.read_bytes() == b'x'
    assert path.resolve() == layout['data'] / 'bfm' / 'x.npy'
    # No doubled root: a resolved path, or the resolved root given back
    # as an explicit root, resolves to itself (not <root>/../data/...).
    assert resolve_data_path(path, explicit) == path
    assert resolve_data_path('bfm/x.npy', root) == path
    assert get_data_root(root) == root
    # Fixed where it was given: still the same file after a chdir.
    monkeypatch.chdir(layout['elsewhere'])
    assert path.read_bytes() == b'x'
    with pytest.raises(FileNotFoundError):
        resolve_data_path('bfm/x.npy', explicit)  # ../data from elsewhere


def test_relative_home_root(tmp_path, monkeypatch):
    """``~`` is expanded, not joined to the cwd."""
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.chdir(REPO)
    (tmp_path / 'd').mkdir()
    assert get_data_root('~/d') == tmp_path / 'd'


@pytest.fixture
def readme_root(data_root, monkeypatch):
    """The README's set-up: cwd = the checkout, ``MMFACE3D_DATA`` the
    relative path from it to the real data root; the shared model caches
    emptied so that models really load through it."""
    monkeypatch.chdir(REPO)
    relative = os.path.relpath(data_root, REPO)
    assert not os.path.isabs(relative)
    monkeypatch.setenv(DATA_ENV, relative)
    monkeypatch.setattr(morphable_model, '_MODELS', {})
    monkeypatch.setattr(mirror, '_MIRRORS', {})
    return relative


def test_real_data_through_relative_root(readme_root, data_root):
    assert get_data_root().resolve() == data_root.resolve()
    model = MorphableModel()
    assert model.num_vertices == 53215  # REFERENCE.md section 1
    dataset = AFLW2000Dataset(pipeline=[])
    assert len(dataset) == 2000
    info = dataset.get_data_info(0)
    img_path = Path(info['img_path'])
    assert img_path.is_absolute() and img_path.is_file()
    assert img_path.name == 'image00002.jpg'
    # the first line of the list, and its original annotation
    pts68 = np.load(data_root /
                    'aflw2000_3d/annotations/AFLW2000-3D.pts68.npy',
                    mmap_mode='r')[0]
    np.testing.assert_allclose(info['gt_landmarks_img'], pts68.T)


def test_dense_metric_through_relative_root(readme_root, data_root):
    """DenseAlignmentMetric builds the predictions' model from the relative
    root: predictions equal to the ground-truth fits score 0."""
    model = MorphableModel(model_path='bfm/bfm_noneck_v3.pkl',
                           layout='3ddfa_v2',
                           param_stats=None,
                           convention='v2')
    dataset = AFLW2000Dataset(pipeline=[],
                              with_params=True,
                              convention='v2',
                              indices=2)
    samples = []
    for i in range(2):
        info = dataset.get_data_info(i)
        crop_affine = box_affine(torch.from_numpy(info['roi_box'])[None])
        pred = transform_params(
            torch.from_numpy(info['gt_params_img'])[None], crop_affine, 'v2')
        samples.append(
            dict(img_id=info['img_id'],
                 yaw=info['yaw'],
                 gt_landmarks_img=info['gt_landmarks_img'],
                 gt_params_img=info['gt_params_img'],
                 params_convention=info['params_convention'],
                 pred_params=pred[0].numpy(),
                 crop_affine=crop_affine[0].numpy(),
                 pred_morphable_model=model.mesh_cfg))
    metric = DenseAlignmentMetric(allow_partial=True)
    metric.process(None, samples)
    result = metric.compute_metrics(metric.results)
    assert result['nme_dense_gt40+10_2d_all'] == pytest.approx(0, abs=1e-3)
    assert result['nme_dense_gt40+10_3d_all'] == pytest.approx(0, abs=1e-3)
