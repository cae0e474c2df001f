"""PackFace3DInputs, and the whole pipeline built from config names."""
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmface3d.datasets.transforms import PackFace3DInputs
from mmface3d.datasets.transforms.face_data_error import FaceDataError
from mmface3d.registry import TRANSFORMS
from mmface3d.structures import Face3DDataSample


def results(**extra):
    rng = np.random.default_rng(0)
    out = dict(
        img=rng.standard_normal((120, 120, 3)).astype(np.float32),
        img_path='a/b.jpg', img_id=3, ori_shape=(450, 450),
        roi_box=np.array([1, 2, 3, 4], np.float32), yaw=12.5, flip=False,
        has_3d=True, has_2d=True,
        gt_params=rng.standard_normal(62).astype(np.float32),
        gt_landmarks_2d=rng.standard_normal((68, 2)),
        gt_landmarks_3d=rng.standard_normal((68, 3)),
        landmarks_2d_input=rng.standard_normal((68, 2)),
        unrelated='dropped')
    out.update(extra)
    return out


def test_pack_three_and_four_channels():
    res = results()
    packed = PackFace3DInputs()(dict(res))
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.shape == (3, 120, 120) and inputs.dtype == torch.float32
    torch.testing.assert_close(inputs, torch.from_numpy(res['img']).permute(
        2, 0, 1))
    assert isinstance(sample, Face3DDataSample)
    assert sample.img_path == 'a/b.jpg' and sample.img_id == 3
    assert sample.yaw == 12.5 and sample.has_3d and not sample.flip
    np.testing.assert_array_equal(sample.roi_box, [1, 2, 3, 4])
    assert 'unrelated' not in sample
    for key in ('gt_params', 'gt_landmarks_2d', 'gt_landmarks_3d',
                'landmarks_2d_input'):
        value = getattr(sample, key)
        assert value.dtype == torch.float32
        np.testing.assert_allclose(value.numpy(), res[key], rtol=1e-6)

    lmap = np.full((120, 120), -1, np.float32)
    lmap[5, 7] = 1
    packed = PackFace3DInputs()(results(landmark_map=lmap))
    assert packed['inputs'].shape == (4, 120, 120)
    assert packed['inputs'][3, 5, 7] == 1 and packed['inputs'][3].sum() == \
        -120 * 120 + 2


@pytest.mark.parametrize('key', ['img', 'landmark_map', 'gt_params',
                                 'gt_landmarks_3d', 'gt_bbox'])
def test_nan_is_rejected_with_the_file(key):
    res = results(landmark_map=np.zeros((120, 120), np.float32),
                  gt_bbox=np.array([1, 2, 30, 40], np.float32))
    res[key] = np.array(res[key], dtype=np.float32)
    res[key].reshape(-1)[3] = np.nan
    with pytest.raises(FaceDataError, match=f'a/b.jpg.*{key}'):
        PackFace3DInputs()(res)


def test_wrong_shapes_are_rejected():
    with pytest.raises(FaceDataError, match=r'gt_landmarks_2d.*\(K, 2\)'):
        PackFace3DInputs()(results(gt_landmarks_2d=np.zeros((21, 3))))
    with pytest.raises(FaceDataError, match=r'gt_landmarks_3d.*\(68, 3\)'):
        PackFace3DInputs()(results(gt_landmarks_3d=np.zeros((21, 3))))
    with pytest.raises(FaceDataError, match=r'gt_bbox.*\(4,\)'):
        PackFace3DInputs()(results(gt_bbox=np.zeros((2, 2))))
    with pytest.raises(FaceDataError, match='landmark_map'):
        PackFace3DInputs()(results(landmark_map=np.zeros((60, 60))))


def test_pipeline_from_config_names(data_root):
    """mmcv's LoadImageFromFile and every mmface3d transform build by name
    under the mmface3d scope; a real AFLW2000-3D image comes out as a
    (4, 120, 120) input."""
    init_default_scope('mmface3d')
    ann = data_root / 'aflw2000_3d/annotations'
    box = np.load(ann / 'AFLW2000-3D_crop.roi_box.npy')[0]
    pts = np.load(ann / 'AFLW2000-3D.pts68.npy')[0]
    assert TRANSFORMS.get('LoadImageFromFile') is not None
    pipeline = Compose([
        dict(type='LoadFaceImage'),
        dict(type='FaceCrop', scale_jitter=0.1, rotate_jitter=10),
        dict(type='RandomFlip', prob=0.0),
        dict(type='ColorJitter', prob=1.0),
        dict(type='GaussianBlur', prob=1.0),
        dict(type='RandomOcclusion', prob=1.0),
        dict(type='LandmarkMap', key='gt_landmarks_2d'),
        dict(type='NormalizeFace'),
        dict(type='PackFace3DInputs'),
    ])
    out = pipeline(dict(
        img_path=str(data_root / 'aflw2000_3d/AFLW2000/image00002.jpg'),
        roi_box=box, gt_landmarks_2d=pts[:2].T, img_id=0))
    inputs = out['inputs']
    assert inputs.shape == (4, 120, 120) and torch.isfinite(inputs).all()
    assert inputs[:3].abs().max() <= 127.5 / 128
    assert set(inputs[3].unique().tolist()) == {-1.0, 1.0}
    assert out['data_samples'].crop_affine.shape == (2, 3)


def test_pack_benchmark_fields():
    """K-point ground truth, its mask, the normalising box and the input
    mask become tensors of the data sample (masks as bool)."""
    gt = np.arange(42, dtype=np.float32).reshape(21, 2)
    visible = np.arange(21) % 4 > 0
    input_visible = np.arange(68) < 30
    packed = PackFace3DInputs()(results(
        gt_landmarks_2d=gt, gt_landmarks_visible=visible,
        gt_bbox=np.array([1, 2, 30, 40], np.float64),
        landmarks_2d_input_visible=input_visible))
    sample = packed['data_samples']
    assert sample.gt_landmarks_2d.shape == (21, 2)
    torch.testing.assert_close(sample.gt_landmarks_2d, torch.from_numpy(gt))
    assert sample.gt_landmarks_visible.dtype == torch.bool
    assert sample.gt_landmarks_visible.tolist() == visible.tolist()
    assert sample.landmarks_2d_input_visible.dtype == torch.bool
    assert sample.landmarks_2d_input_visible.tolist() == \
        input_visible.tolist()
    assert sample.gt_bbox.dtype == torch.float32
    assert sample.gt_bbox.tolist() == [1, 2, 30, 40]


def test_bad_masks_are_rejected():
    with pytest.raises(FaceDataError, match=r'a/b\.jpg.*gt_landmarks_visible'
                       r'.*\(68,\) bool'):
        PackFace3DInputs()(results(gt_landmarks_visible=np.ones(21, bool)))
    with pytest.raises(FaceDataError, match='landmarks_2d_input_visible.*'
                       'bool'):
        PackFace3DInputs()(results(landmarks_2d_input_visible=np.ones(68)))
    res = results(landmarks_2d_input_visible=np.ones(68, bool))
    del res['landmarks_2d_input']
    with pytest.raises(FaceDataError, match='without the landmarks_2d_input'):
        PackFace3DInputs()(res)


def test_pack_image_frame_ground_truth():
    """The image-frame benchmark fields and the params convention travel
    with the sample: gt_params_img, gt_landmarks_img (K, 2 | 3) and its
    mask."""
    rng = np.random.default_rng(1)
    params_img = rng.standard_normal(62).astype(np.float32)
    gt_img = rng.uniform(0, 450, (21, 2))
    visible = np.arange(21) != 12
    packed = PackFace3DInputs()(results(
        gt_params_img=params_img, gt_landmarks_img=gt_img,
        gt_landmarks_img_visible=visible, params_convention='v2',
        crop_affine=np.array([[0.5, 0, -3], [0, 0.5, -4]], np.float32)))
    sample = packed['data_samples']
    torch.testing.assert_close(sample.gt_params_img,
                               torch.from_numpy(params_img))
    assert sample.gt_landmarks_img.dtype == torch.float32
    np.testing.assert_allclose(sample.gt_landmarks_img.numpy(), gt_img,
                               rtol=1e-6)
    assert sample.gt_landmarks_img_visible.tolist() == visible.tolist()
    assert sample.params_convention == 'v2'
    np.testing.assert_array_equal(sample.crop_affine,
                                  [[0.5, 0, -3], [0, 0.5, -4]])
    packed = PackFace3DInputs()(results(
        gt_landmarks_img=rng.uniform(0, 450, (68, 3))))
    assert packed['data_samples'].gt_landmarks_img.shape == (68, 3)
    with pytest.raises(FaceDataError, match='gt_landmarks_img_visible.*'
                       'without the gt_landmarks_img'):
        PackFace3DInputs()(results(gt_landmarks_img_visible=visible))
