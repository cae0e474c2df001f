"""SyntheticFaceDataset on the real BFM: determinism, ground truth that
agrees with the rendered face, the two splits, the cache and the pipeline."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from scipy.ndimage import binary_dilation, binary_fill_holes

from mmface3d.datasets.synthetic_face_dataset import SyntheticFaceDataset
from mmface3d.morphable import MorphableModel
from mmface3d.morphable.renderer import render
from mmface3d.registry import DATASETS

NOSE_TIP = 30


@pytest.fixture(scope='module')
def dataset_3d(data_root):
    return SyntheticFaceDataset(
        split='3d', length=50, seed=7, data_root=str(data_root), pipeline=[])


@pytest.fixture(scope='module')
def dataset_2d(data_root):
    return SyntheticFaceDataset(
        split='2d', length=50, seed=7, data_root=str(data_root), pipeline=[])


@pytest.fixture(scope='module')
def bfm(data_root):
    """An independent morphable model to recompute the ground truth."""
    return MorphableModel(data_root=str(data_root))


def test_fields_3d(dataset_3d):
    assert len(dataset_3d) == 50
    assert dataset_3d.metainfo['has_3d'] is True
    sample = dataset_3d[3]
    assert sample['img'].shape == (120, 120, 3)
    assert sample['img'].dtype == np.uint8
    assert sample['img_path'] == 'synthetic://3d/000003'
    assert sample['img_id'] == 3
    assert sample['ori_shape'] == (120, 120)
    np.testing.assert_array_equal(sample['roi_box'], [0, 0, 120, 120])
    shapes = dict(
        gt_params_img=(62, ),
        gt_landmarks_2d=(68, 2),
        gt_landmarks_3d=(68, 3),
        gt_landmarks_img=(68, 3),
        landmarks_2d_input=(68, 2))
    for key, shape in shapes.items():
        assert sample[key].shape == shape, key
        assert sample[key].dtype == np.float32, key
        assert np.isfinite(sample[key]).all(), key
    assert sample['has_3d'] and sample['has_2d']
    assert sample['params_convention'] == 'v1' and 'gt_params' not in sample
    assert -90 <= sample['yaw'] <= 90
    # The 3D split's detector points are the exact 2D landmarks.
    np.testing.assert_array_equal(sample['landmarks_2d_input'],
                                  sample['gt_landmarks_2d'])


def test_fields_2d(dataset_2d, bfm):
    assert dataset_2d.metainfo['has_3d'] is False
    sample = dataset_2d[3]
    assert sample['img_path'] == 'synthetic://2d/000003'
    for key in ('gt_params', 'gt_params_img', 'gt_landmarks_2d',
                'gt_landmarks_3d', 'gt_landmarks_img', 'yaw'):
        assert key not in sample
    assert not sample['has_3d'] and sample['has_2d']
    points = sample['landmarks_2d_input']
    assert points.shape == (68, 2) and np.isfinite(points).all()
    # Noisy: about 2 px off the exact landmarks of the drawn params.
    draws, _ = dataset_2d.scene([3])
    exact = bfm.landmarks(torch.from_numpy(draws[0]['params'])[None])
    error = points - exact[0, :2].T.numpy()
    assert 1.0 < error.std() < 3.5


def test_deterministic_per_index_and_seed(dataset_3d, data_root):
    again = SyntheticFaceDataset(
        split='3d', length=50, seed=7, data_root=str(data_root), pipeline=[])
    first, second = dataset_3d[5], again[5]
    np.testing.assert_array_equal(first['img'], second['img'])
    np.testing.assert_array_equal(first['gt_params_img'],
                                  second['gt_params_img'])
    # The same index renders the same whatever was drawn before it.
    again[9]
    np.testing.assert_array_equal(again[5]['img'], first['img'])

    other_seed = SyntheticFaceDataset(
        split='3d', length=50, seed=8, data_root=str(data_root), pipeline=[])
    assert not np.array_equal(other_seed[5]['gt_params_img'],
                              first['gt_params_img'])
    assert np.abs(other_seed[5]['img'].astype(int) -
                  first['img'].astype(int)).mean() > 5
    assert not np.array_equal(dataset_3d[6]['gt_params_img'],
                              first['gt_params_img'])


def test_ground_truth_matches_params(dataset_3d, bfm):
    sample = dataset_3d[11]
    params = torch.from_numpy(sample['gt_params_img'])[None]
    landmarks = bfm.landmarks(params)[0].T.numpy()
    np.testing.assert_allclose(sample['gt_landmarks_3d'], landmarks,
                               atol=1e-3)
    # the image is the crop: benchmark and pipeline landmarks agree
    np.testing.assert_array_equal(sample['gt_landmarks_img'],
                                  sample['gt_landmarks_3d'])
    np.testing.assert_array_equal(sample['gt_landmarks_2d'],
                                  sample['gt_landmarks_3d'][:, :2])
    assert sample['yaw'] == pytest.approx(float(bfm.pose(params)[0, 0]),
                                          abs=1e-3)


def test_face_fills_crop_like_benchmark(dataset_3d, dataset_2d):
    """Landmark bbox side about 120 / sqrt(2) (+-10 %), centred (+-6 px)."""
    for dataset in (dataset_3d, dataset_2d):
        draws, scene = dataset.scene(range(20))
        params = torch.from_numpy(np.stack([d['params'] for d in draws]))
        points = dataset.face_model.landmarks(params)[:, :2]
        side = (points.amax(2) - points.amin(2)).amax(1)
        center = (points.amax(2) + points.amin(2)) / 2
        assert ((side > 0.9 * 120 / 2**0.5 - 0.01) &
                (side < 1.1 * 120 / 2**0.5 + 0.01)).all()
        assert ((center - 60).abs() <= 6.01).all()
        assert scene['vertices'].shape == (20, 3,
                                           dataset.face_model.num_vertices + 1)


def test_split_pose_distributions(dataset_3d, dataset_2d, bfm):
    """Drawn poses match the params' pose; the 3D split spans profiles, the
    2D split is mostly frontal."""
    yaws = {}
    for name, dataset in (('3d', dataset_3d), ('2d', dataset_2d)):
        draws, _ = dataset.scene(range(40))
        params = torch.from_numpy(np.stack([d['params'] for d in draws]))
        pose = np.stack([d['pose'] for d in draws])
        np.testing.assert_allclose(
            bfm.pose(params).numpy(), pose, atol=1e-2)
        yaws[name] = np.abs(pose[:, 0])
    assert yaws['3d'].max() > 70 and yaws['3d'].max() <= 90
    assert np.median(yaws['2d']) < np.median(yaws['3d'])


def test_landmarks_land_on_the_face(dataset_3d):
    """Every landmark is a mesh vertex, so its pixel lies in the rendered
    silhouette (up to rounding at the outline); short of a profile the nose
    tip is inside it, and near-frontal it is the visible surface there. The
    mouth cavity leaves no hole in the silhouette."""
    draws, scene = dataset_3d.scene(range(8))
    out = render(**scene)
    params = torch.from_numpy(np.stack([d['params'] for d in draws]))
    landmarks = dataset_3d.face_model.landmarks(params)
    # v1 landmarks are 1-based: pixel (r, c) is centred on (c + 1, r + 1).
    cols = (landmarks[:, 0].round() - 1).long().clamp(0, 119)
    rows = (landmarks[:, 1].round() - 1).long().clamp(0, 119)
    for i in range(8):
        mask = out.mask[i].numpy()
        assert binary_dilation(mask)[rows[i], cols[i]].all()
        assert not (binary_fill_holes(mask) & ~mask).any()
        if abs(draws[i]['pose'][0]) < 60:
            assert mask[rows[i, NOSE_TIP], cols[i, NOSE_TIP]]
        if abs(draws[i]['pose'][0]) < 30:
            # The nose tip is a depth maximum: a pixel off (a wrong pixel
            # origin) would put the surface there 0.3 px or more further.
            depth = out.depth[i, rows[i, NOSE_TIP], cols[i, NOSE_TIP]]
            assert float(depth) == pytest.approx(
                float(landmarks[i, 2, NOSE_TIP]), abs=0.2)
    assert any(abs(d['pose'][0]) < 30 for d in draws)


def test_cache_round_trip(data_root, tmp_path):
    kwargs = dict(
        split='3d',
        length=4,
        seed=3,
        data_root=str(data_root),
        cache_dir=str(tmp_path),
        pipeline=[])
    written = SyntheticFaceDataset(**kwargs)[2]
    files = sorted(p.name for p in tmp_path.rglob('*') if p.is_file())
    assert files == ['000002.npz', '000002.png']
    read = SyntheticFaceDataset(**kwargs)
    sample = read.get_data_info(2)
    assert read._face_model is None  # served from the cache, not rendered
    for key in ('img', 'gt_params_img', 'gt_landmarks_3d', 'gt_landmarks_img',
                'landmarks_2d_input', 'roi_box'):
        np.testing.assert_array_equal(sample[key], written[key])
    assert sample['has_3d'] is True and sample['yaw'] == written['yaw']
    assert sample['params_convention'] == 'v1'
    assert sample['img_path'] == written['img_path']
    # Other sampling settings use another cache folder.
    SyntheticFaceDataset(**kwargs, landmark_noise=1.0)[2]
    assert len(list(tmp_path.iterdir())) == 2


def test_pipeline_and_registry(data_root):
    init_default_scope('mmface3d')
    dataset = DATASETS.build(
        dict(
            type='SyntheticFaceDataset',
            split='3d',
            length=3,
            data_root=str(data_root),
            pipeline=[
                dict(type='FaceCrop', crop_size=120),
                dict(type='LandmarkMap'),
                dict(type='NormalizeFace'),
                dict(type='PackFace3DInputs')
            ]))
    raw = dataset.get_data_info(1)
    packed = dataset[1]
    assert packed['inputs'].shape == (4, 120, 120)
    sample = packed['data_samples']
    # The crop of roi_box [0, 0, 120, 120] is the image itself: the crop
    # params are the image params.
    np.testing.assert_allclose(
        sample.gt_params.numpy(), raw['gt_params_img'], rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(sample.gt_params_img.numpy(),
                                  raw['gt_params_img'])
    np.testing.assert_array_equal(sample.crop_affine,
                                  [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_allclose(sample.gt_landmarks_2d.numpy(),
                               raw['gt_landmarks_2d'])
    np.testing.assert_allclose(
        packed['inputs'][:3].numpy().transpose(1, 2, 0),
        (raw['img'] - 127.5) / 128, atol=1e-6)
    assert sample.has_3d and sample.img_path == 'synthetic://3d/000001'


def test_lazy_and_invalid_arguments(data_root):
    dataset = SyntheticFaceDataset(
        length=10, data_root=str(data_root), lazy_init=True)
    assert dataset._face_model is None
    assert len(dataset) == 10 and dataset._face_model is None
    with pytest.raises(ValueError, match='split'):
        SyntheticFaceDataset(split='wild')
    with pytest.raises(ValueError, match='convention'):
        SyntheticFaceDataset(convention='v3')
    with pytest.raises(ValueError, match='length must be >= 1.*got 0'):
        SyntheticFaceDataset(length=0)


def test_original_image_is_the_rendered_image(dataset_3d, data_root,
                                              tmp_path):
    """What the visualization hook draws on: the same pixels as the
    sample, rendered again (or read from the cache)."""
    for index in (0, 17):
        sample = dataset_3d[index]
        again = dataset_3d.original_image(index, sample['img_path'])
        assert again.dtype == np.uint8 and again.shape == (120, 120, 3)
        np.testing.assert_array_equal(again, sample['img'])
    cached = SyntheticFaceDataset(
        split='2d', length=3, seed=4, data_root=str(data_root),
        cache_dir=str(tmp_path), pipeline=[])
    first = cached[2]['img']
    np.testing.assert_array_equal(
        cached.original_image(2, 'synthetic://2d/000002'), first)
