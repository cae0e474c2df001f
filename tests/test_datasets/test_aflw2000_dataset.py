import numpy as np
import pytest
import scipy.io as sio
import torch
from reference_formulas import rotation_matrices

from mmface3d.datasets import AFLW2000Dataset
from mmface3d.datasets.transforms import (FaceCrop, LandmarkMap, LoadFaceImage,
                                          NormalizeFace, PackFace3DInputs,
                                          RandomFlip)
from mmface3d.morphable import MorphableModel
from mmface3d.registry import DATASETS
from mmface3d.structures import AFLW1998_EXCLUDED

FAN_FILE = 'aflw2000_3d/annotations/fan_landmarks_crop120.txt'


@pytest.fixture(scope='module')
def ann(data_root):
    d = data_root / 'aflw2000_3d/annotations'
    return dict(
        names=(d / 'AFLW2000-3D.list').read_text().split(),
        pts68=np.load(d / 'AFLW2000-3D.pts68.npy'),
        re=np.load(d / 'AFLW2000-3D-Reannotated.pts68.npy'),
        boxes=np.load(d / 'AFLW2000-3D_crop.roi_box.npy'),
        yaw=np.load(d / 'AFLW2000-3D.pose.npy'),
        fan=(d / 'fan_landmarks_crop120.txt').read_text().splitlines())


def stack(dataset, key):
    return np.stack(
        [dataset.get_data_info(i)[key] for i in range(len(dataset))])


def nme(pred, gt):
    """Mean point error over the sqrt(w * h) of the gt bbox, per image."""
    size = np.sqrt(np.prod(gt.max(1) - gt.min(1), axis=1))
    return np.linalg.norm(pred - gt, axis=2).mean(1) / size


def test_released_layout(ann):
    dataset = DATASETS.build(dict(type='AFLW2000Dataset'))
    assert len(dataset) == 2000
    info = dataset.get_data_info(7)
    assert info['img_path'].endswith('AFLW2000/' + ann['names'][7])
    assert info['img_id'] == 7 and info['yaw'] == pytest.approx(ann['yaw'][7])
    assert not info['has_3d'] and not info['has_2d']
    for key in ('gt_params', 'gt_params_img', 'params_convention',
                'landmarks_2d_input'):
        assert key not in info
    boxes = stack(dataset, 'roi_box')
    gt = stack(dataset, 'gt_landmarks_2d')
    assert boxes.dtype == np.float32 and gt.shape == (2000, 68, 2)
    np.testing.assert_array_equal(boxes, ann['boxes'])
    np.testing.assert_array_equal(
        stack(dataset, 'gt_landmarks_3d'), ann['pts68'].transpose(0, 2, 1))
    # the benchmark ground truth: pt3d_68 with z, as released
    gt_img = stack(dataset, 'gt_landmarks_img')
    assert gt_img.dtype == np.float32 and gt_img.shape == (2000, 68, 3)
    np.testing.assert_array_equal(gt_img, ann['pts68'].transpose(0, 2, 1))
    # every landmark inside the image lies inside its crop box (the boxes
    # are clipped to the 450x450 image, a few landmarks are not)
    inside = np.clip(gt, 1, 450)
    assert (inside >= boxes[:, None, :2]).all()
    assert (inside <= boxes[:, None, 2:]).all()


def test_landmark_rule_and_reannotated(ann):
    dataset = AFLW2000Dataset(roi_box='landmarks', indices=50)
    np.testing.assert_array_equal(stack(dataset, 'roi_box'), ann['boxes'][:50])
    dataset = AFLW2000Dataset(gt_landmarks='re', indices=50)
    np.testing.assert_array_equal(
        stack(dataset, 'gt_landmarks_2d'), ann['re'][:50].transpose(0, 2, 1))
    # the re-annotation is 2D only: (68, 2) benchmark ground truth
    gt_img = stack(dataset, 'gt_landmarks_img')
    assert gt_img.dtype == np.float32 and gt_img.shape == (50, 68, 2)
    np.testing.assert_array_equal(gt_img, ann['re'][:50].transpose(0, 2, 1))
    assert 'gt_landmarks_3d' not in dataset.get_data_info(0)


def test_aflw1998(ann):
    dataset = AFLW2000Dataset(num_images=1998)
    assert len(dataset) == 1998
    ids = stack(dataset, 'img_id')
    assert set(range(2000)) - set(ids.tolist()) == set(AFLW1998_EXCLUDED)
    # the excluded rows are the two FAN lines that hold only their index
    for i in AFLW1998_EXCLUDED:
        assert ann['fan'][i] == str(i)
    assert [ann['names'][i] for i in AFLW1998_EXCLUDED] == \
        ['image02139.jpg', 'image03862.jpg']


def test_benchmark_ground_truth(ann):
    """The ground truth of saved-prediction tools, by image id: the released
    arrays as they are; images outside the dataset are NaN."""
    gt = AFLW2000Dataset(num_images=1998).benchmark_ground_truth()
    assert gt['landmarks'].shape == (2000, 68, 3)
    keep = np.setdiff1d(np.arange(2000), list(AFLW1998_EXCLUDED))
    np.testing.assert_array_equal(gt['landmarks'][keep],
                                  ann['pts68'][keep].transpose(0, 2, 1))
    np.testing.assert_array_equal(gt['yaw'][keep], ann['yaw'][keep])
    assert np.isnan(gt['landmarks'][list(AFLW1998_EXCLUDED)]).all()
    assert np.isnan(gt['yaw'][list(AFLW1998_EXCLUDED)]).all()
    gt = AFLW2000Dataset(gt_landmarks='re').benchmark_ground_truth()
    np.testing.assert_array_equal(gt['landmarks'],
                                  ann['re'].transpose(0, 2, 1))


def test_params_reproduce_landmarks(ann):
    """Landmarks of the image-frame ground truth match pt3d_68 (REFERENCE:
    0.880 % NME over the 2000 images; the truncation to 40 + 10 is the
    floor), in either params convention."""
    dataset = AFLW2000Dataset(with_params=True, indices=20)
    assert dataset.metainfo['has_3d'] and len(dataset) == 20
    params = torch.from_numpy(stack(dataset, 'gt_params_img'))
    assert params.shape == (20, 62) and params.dtype == torch.float32
    assert all(dataset.get_data_info(i)['has_3d'] for i in range(20))
    assert {dataset.get_data_info(i)['params_convention']
            for i in range(20)} == {'v1'}
    assert 'gt_params' not in dataset.get_data_info(0)
    model = MorphableModel()
    pred = model.landmarks(params)[:, :2].transpose(1, 2).numpy()
    gt = ann['pts68'][:20, :2].transpose(0, 2, 1)
    err = nme(pred, gt)
    assert err.mean() < 0.01 and err.max() < 0.03

    v2 = AFLW2000Dataset(with_params=True, convention='v2', indices=20)
    assert v2.get_data_info(0)['params_convention'] == 'v2'
    model = MorphableModel(
        'bfm/bfm_noneck_v3.pkl',
        layout='3ddfa_v2',
        param_stats='bfm/param_mean_std_62d_120x120.pkl',
        convention='v2')
    pred = model.landmarks(torch.from_numpy(stack(v2, 'gt_params_img')))
    err_v2 = nme(pred[:, :2].transpose(1, 2).numpy(), gt)
    assert err_v2.mean() < 0.01
    np.testing.assert_allclose(err_v2, err, atol=1e-5)


@pytest.fixture(scope='module')
def keypoint_basis(data_root):
    """The 68 landmark rows of the raw BFM arrays (REFERENCE.md section 1):
    mean ``u_shp + u_exp`` (204,), ``w_shp`` (204, 40), ``w_exp`` (204, 10).
    """
    bfm = data_root / 'bfm'
    rows = np.load(bfm / 'keypoints_sim.npy')

    def load(name):
        return np.load(bfm / name, mmap_mode='r')[rows].astype(np.float64)

    return (load('u_shp.npy')[:, 0] + load('u_exp.npy')[:, 0],
            load('w_shp_sim.npy'), load('w_exp_sim.npy'))


def numpy_fit_landmarks(basis, mat_path, height=450.0):
    """(68, 2) image landmarks of a fit's first 40 + 10 components, from the
    ``.mat`` file (REFERENCE.md section 3): ``V = f R S + t``,
    ``y = H + 1 - V_y``."""
    u, w_shp, w_exp = basis
    mat = sio.loadmat(str(mat_path))
    pitch, yaw, roll, tx, ty, tz, f = mat['Pose_Para'].ravel()[:7]
    shape = (u + w_shp @ mat['Shape_Para'][:40, 0] +
             w_exp @ mat['Exp_Para'][:10, 0]).reshape(-1, 3).T
    v = f * rotation_matrices(pitch, yaw, roll) @ shape + np.array(
        [[tx], [ty], [tz]])
    return np.stack([v[0], height + 1 - v[1]], 1)


def test_params_floor_on_a_slice(ann, data_root, keypoint_basis):
    """gt_params_img project onto pt3d_68 at the truncation floor (0.880 %
    NME over all 2000 images, worst 2.61 %): on a slice of 100 images the
    NME of each image is the one an independent numpy implementation of
    REFERENCE section 3 gives for the same fit."""
    rows = list(range(3, 2000, 20))
    dataset = AFLW2000Dataset(with_params=True, indices=rows)
    params = torch.from_numpy(stack(dataset, 'gt_params_img')).double()
    pred = MorphableModel().double().landmarks(params)[:, :2]
    gt = ann['pts68'][rows, :2].transpose(0, 2, 1).astype(np.float64)
    err = nme(pred.transpose(1, 2).numpy(), gt)
    reference = np.stack([
        numpy_fit_landmarks(keypoint_basis,
                            data_root / 'aflw2000_3d/AFLW2000' /
                            ann['names'][i].replace('.jpg', '.mat'))
        for i in rows
    ])
    expected = nme(reference, gt)
    np.testing.assert_allclose(err, expected, atol=2e-5)
    assert err.mean() == pytest.approx(expected.mean(), abs=1e-5)
    assert 0.005 < err.mean() < 0.013 and err.max() < 0.0262


def test_pipeline_never_changes_image_ground_truth(ann):
    """FaceCrop with rotation and a certain flip move the crop fields, never
    the image-frame benchmark ground truth."""
    transforms = [
        LoadFaceImage(),
        FaceCrop(scale_jitter=0.2, shift_jitter=0.1, rotate_jitter=40),
        RandomFlip(prob=1.0)
    ]
    dataset = AFLW2000Dataset(
        with_params=True,
        indices=[0, 109, 1500],
        pipeline=transforms + [PackFace3DInputs()])
    np.random.seed(7)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        results = dataset.get_data_info(i)
        for transform in transforms:
            results = transform(results)
        assert results['flip']
        assert not np.array_equal(results['gt_landmarks_3d'],
                                  info['gt_landmarks_3d'])
        assert not np.array_equal(results['gt_params'],
                                  info['gt_params_img'])
        sample = dataset[i]['data_samples']
        assert sample.params_convention == 'v1' and sample.flip
        for key in ('gt_landmarks_img', 'gt_params_img'):
            assert results[key].dtype == info[key].dtype
            np.testing.assert_array_equal(results[key], info[key])
            np.testing.assert_array_equal(
                getattr(sample, key).numpy(), info[key])
    # and the data list still holds the released annotation
    np.testing.assert_array_equal(
        dataset.get_data_info(1)['gt_landmarks_img'], ann['pts68'][109].T)


def test_fan_input_landmarks(ann):
    dataset = AFLW2000Dataset(input_landmarks=FAN_FILE)
    assert len(dataset) == 1998 and dataset.metainfo['has_2d']
    assert dataset.missing_input == ['image02139.jpg', 'image03862.jpg']
    info = dataset.get_data_info(0)
    assert info['has_2d'] and info['landmarks_2d_input'].shape == (68, 2)
    # crop -> image by hand for the first line (image00002.jpg)
    values = np.array(ann['fan'][0].split(',')[1:], dtype=float)
    sx, sy, ex, ey = ann['boxes'][0]
    expected = np.stack([
        values[0::2] * (ex - sx) / 120 + sx, values[1::2] *
        (ey - sy) / 120 + sy
    ], 1)
    np.testing.assert_allclose(info['landmarks_2d_input'], expected, rtol=1e-6)
    # FAN detections land on the faces: a few % NME against pt3d_68
    fan = stack(dataset, 'landmarks_2d_input')
    gt = stack(dataset, 'gt_landmarks_2d')
    assert nme(fan, gt).mean() < 0.08

    kept = AFLW2000Dataset(input_landmarks=FAN_FILE, missing_input='keep')
    assert len(kept) == 2000
    info = kept.get_data_info(1081)
    assert not info['has_2d'] and 'landmarks_2d_input' not in info


def test_bad_input_file_and_arguments(tmp_path, data_root):
    lines = (data_root / FAN_FILE).read_text().splitlines()
    lines[5] = ','.join(lines[5].split(',')[:-2])
    bad = tmp_path / 'fan.txt'
    bad.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError, match=r'fan\.txt, line 6: expected 136'):
        AFLW2000Dataset(input_landmarks=str(bad))
    for kwargs in (dict(roi_box='box'), dict(gt_landmarks='x'),
                   dict(num_images=1000), dict(missing_input='drop')):
        with pytest.raises(ValueError, match='must be one of'):
            AFLW2000Dataset(lazy_init=True, **kwargs)


def test_broken_fit_is_skipped(tmp_path, data_root):
    """A sample whose .mat cannot be read is left out with a reason."""
    src = data_root / 'aflw2000_3d'
    ann_dir = tmp_path / 'aflw2000_3d/annotations'
    img_dir = tmp_path / 'aflw2000_3d/AFLW2000'
    ann_dir.mkdir(parents=True)
    img_dir.mkdir(parents=True)
    names = (src / 'annotations/AFLW2000-3D.list').read_text().split()[:3]
    (ann_dir / 'AFLW2000-3D.list').write_text('\n'.join(names) + '\n')
    for name in ('AFLW2000-3D.pts68.npy', 'AFLW2000-3D_crop.roi_box.npy',
                 'AFLW2000-3D.pose.npy'):
        np.save(ann_dir / name, np.load(src / 'annotations' / name)[:3])
    for name in names:
        stem = name[:-4]
        (img_dir / name).write_bytes((src / 'AFLW2000' / name).read_bytes())
        (img_dir / f'{stem}.mat').write_bytes(
            (src / 'AFLW2000' / f'{stem}.mat').read_bytes())
    (img_dir / f'{names[1][:-4]}.mat').write_bytes(b'garbage')
    dataset = AFLW2000Dataset(data_root=str(tmp_path), with_params=True)
    assert len(dataset) == 2
    assert list(dataset.skipped) == [names[1]]
    assert 'not a readable .mat' in dataset.skipped[names[1]]


def test_through_the_2dasl_pipeline(data_root):
    """The data_info contract with the transforms: crop params and crop
    landmarks agree after FaceCrop, and the packed input has 4 channels."""
    dataset = AFLW2000Dataset(
        with_params=True,
        input_landmarks=FAN_FILE,
        indices=3,
        test_mode=True,
        pipeline=[
            LoadFaceImage(),
            FaceCrop(),
            LandmarkMap(),
            NormalizeFace(),
            PackFace3DInputs()
        ])
    samples = [dataset[i] for i in range(3)]
    inputs = torch.stack([s['inputs'] for s in samples])
    assert inputs.shape == (3, 4, 120, 120) and torch.isfinite(inputs).all()
    data = [s['data_samples'] for s in samples]
    params = torch.stack([d.gt_params for d in data])
    crop_gt = torch.stack([d.gt_landmarks_2d for d in data]).numpy()
    model = MorphableModel()
    pred = model.landmarks(params)[:, :2].transpose(1, 2).numpy()
    assert nme(pred, crop_gt).mean() < 0.01
    assert data[0].has_3d and data[0].has_2d and data[0].img_id == 0
    # the image-frame ground truth travels with the sample
    torch.testing.assert_close(
        data[0].gt_landmarks_img,
        torch.from_numpy(dataset.get_data_info(0)['gt_landmarks_img']))
    assert data[0].gt_params_img.shape == (62, )
    assert data[0].params_convention == 'v1'
