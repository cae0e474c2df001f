"""W300LPDataset on a cache in the converter's format, filled with
AFLW2000-3D fits (same .mat fields as 300W-LP). The converter itself, from
a 300W-LP folder to the dataset, is tested in
tests/test_tools/test_dataset_converters.py."""
import numpy as np
import pytest
import torch

from mmface3d.datasets import AFLW2000Dataset, W300LPDataset
from mmface3d.morphable import MorphableModel, load_fit_mat

NAMES = [
    'AFW/AFW_a.jpg', 'AFW/AFW_b.jpg', 'AFW_Flip/AFW_a.jpg',
    'HELEN/HELEN_c.jpg', 'HELEN/HELEN_d.jpg', 'IBUG/IBUG_e.jpg'
]


@pytest.fixture(scope='module')
def cache(data_root, tmp_path_factory):
    ann = data_root / 'aflw2000_3d/annotations'
    sources = (ann / 'AFLW2000-3D.list').read_text().split()[:len(NAMES)]
    fits = [
        load_fit_mat(data_root / 'aflw2000_3d/AFLW2000' / f'{s[:-4]}.mat')
        for s in sources
    ]
    pts68 = np.load(ann / 'AFLW2000-3D.pts68.npy')[:len(NAMES)]
    re = np.load(ann / 'AFLW2000-3D-Reannotated.pts68.npy')[:len(NAMES)]
    root = tmp_path_factory.mktemp('w300lp')
    path = root / '300W_LP/300wlp_annotations.npz'
    path.parent.mkdir()
    arrays = dict(
        names=np.array(NAMES),
        img_size=np.full((len(NAMES), 2), 450, dtype=np.int32),
        pose_para=np.stack([f['pose_para'] for f in fits]),
        shape_para=np.stack([f['shape_para'][:40]
                             for f in fits]).astype(np.float32),
        exp_para=np.stack([f['exp_para'][:10]
                           for f in fits]).astype(np.float32),
        pts_2d=re.transpose(0, 2, 1).astype(np.float32),
        pts_3d=pts68[:, :2].transpose(0, 2, 1).astype(np.float32),
        landmark_file=np.array([True, True, False, True, True, True]))
    np.savez(path, **arrays)
    return dict(root=root, path=path, arrays=arrays, sources=sources)


def stack(dataset, key):
    return np.stack(
        [dataset.get_data_info(i)[key] for i in range(len(dataset))])


def test_samples(cache, data_root):
    dataset = W300LPDataset(data_root=str(cache['root']))
    arrays = cache['arrays']
    assert len(dataset) == len(NAMES)
    assert dataset.metainfo['has_3d'] and dataset.metainfo['has_2d']
    info = dataset.get_data_info(2)
    assert info['img_path'] == str(cache['root'] / '300W_LP' / NAMES[2])
    assert info['img_id'] == 2 and info['has_3d'] and info['has_2d']
    np.testing.assert_array_equal(
        stack(dataset, 'gt_landmarks_2d'), arrays['pts_3d'])
    np.testing.assert_array_equal(
        stack(dataset, 'landmarks_2d_input'), arrays['pts_2d'])
    # the benchmark rule on pt3d_68 gives the released AFLW2000-3D boxes
    boxes = np.load(data_root /
                    'aflw2000_3d/annotations/AFLW2000-3D_crop.roi_box.npy')
    np.testing.assert_array_equal(
        stack(dataset, 'roi_box'), boxes[:len(NAMES)])
    # yaw of the fit = the AFLW2000-3D pose file
    yaw = np.load(data_root / 'aflw2000_3d/annotations/AFLW2000-3D.pose.npy')
    np.testing.assert_allclose(
        stack(dataset, 'yaw'), yaw[:len(NAMES)], atol=1e-4)


def test_params(cache):
    dataset = W300LPDataset(data_root=str(cache['root']))
    params = stack(dataset, 'gt_params_img')
    assert params.shape == (len(NAMES), 62) and params.dtype == np.float32
    assert {dataset.get_data_info(i)['params_convention']
            for i in range(len(NAMES))} == {'v1'}
    assert 'gt_params' not in dataset.get_data_info(0)
    # the same conversion as AFLW2000Dataset for the same fits
    reference = AFLW2000Dataset(with_params=True, indices=len(NAMES))
    np.testing.assert_allclose(
        params, stack(reference, 'gt_params_img'), rtol=1e-5, atol=1e-5)
    # and they project onto the landmarks in the image (truncated 40 + 10
    # model, ~1 % NME)
    model = MorphableModel()
    pred = model.landmarks(torch.from_numpy(params))[:, :2].transpose(1, 2)
    gt = cache['arrays']['pts_3d']
    size = np.sqrt(np.prod(gt.max(1) - gt.min(1), axis=1))
    nme = np.linalg.norm(pred.numpy() - gt, axis=2).mean(1) / size
    assert nme.mean() < 0.012
    v2 = W300LPDataset(data_root=str(cache['root']), convention='v2')
    assert v2.get_data_info(0)['params_convention'] == 'v2'
    np.testing.assert_allclose(
        stack(v2, 'gt_params_img'),
        stack(AFLW2000Dataset(with_params=True, convention='v2',
                              indices=len(NAMES)), 'gt_params_img'),
        rtol=1e-5, atol=1e-5)


def test_options(cache):
    dataset = W300LPDataset(
        data_root=str(cache['root']),
        subsets=['AFW', 'AFW_Flip'],
        landmarks='pts_2d',
        input_landmarks=None)
    assert [dataset.get_data_info(i)['img_id'] for i in range(3)] == [0, 1, 2]
    assert len(dataset) == 3 and not dataset.metainfo['has_2d']
    info = dataset.get_data_info(0)
    assert 'landmarks_2d_input' not in info and not info['has_2d']
    np.testing.assert_array_equal(info['gt_landmarks_2d'],
                                  cache['arrays']['pts_2d'][0])
    with pytest.raises(ValueError, match='landmarks must be one of'):
        W300LPDataset(data_root=str(cache['root']), landmarks='pt2d')


def test_bad_cache(cache, tmp_path):
    with pytest.raises(FileNotFoundError, match='prepare_300wlp.py'):
        W300LPDataset(data_root=str(tmp_path))
    arrays = dict(cache['arrays'])
    path = tmp_path / '300W_LP/300wlp_annotations.npz'
    path.parent.mkdir()
    np.savez(path, **{k: v for k, v in arrays.items() if k != 'pts_3d'})
    with pytest.raises(ValueError, match='`pts_3d` is missing'):
        W300LPDataset(data_root=str(tmp_path))
    arrays['pts_2d'] = arrays['pts_2d'][:, :21]
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r'`pts_2d` has shape \(6, 21, 2\)'):
        W300LPDataset(data_root=str(tmp_path))
