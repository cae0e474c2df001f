"""AFLW21Dataset on a fixture in the 3DDFA AFLW benchmark layout: 120x120
crops of real AFLW2000-3D images by their released boxes, with their 21-
and 68-point annotations."""
import numpy as np
import pytest

from mmface3d.datasets import AFLW21Dataset

NUM = 4


@pytest.fixture
def aflw(aflw21_layout):
    return aflw21_layout(np.arange(NUM))


def stack(dataset, key):
    return np.stack(
        [dataset.get_data_info(i)[key] for i in range(len(dataset))])


def test_crops(aflw):
    dataset = AFLW21Dataset(data_root=str(aflw['root']))
    assert len(dataset) == NUM and dataset.metainfo['num_landmarks'] == 21
    pts21 = aflw['arrays']['AFLW_GT_pts21.npy'].transpose(0, 2, 1)
    visible = ~(pts21 == -1).all(2)
    np.testing.assert_array_equal(
        stack(dataset, 'gt_landmarks_visible'), visible)
    box = aflw['boxes'][:, None]
    scale = 120 / (box[..., 2:] - box[..., :2])
    expected = (pts21 - box[..., :2]) * scale
    points = stack(dataset, 'gt_landmarks_2d')
    np.testing.assert_allclose(points[visible], expected[visible], rtol=1e-5)
    assert (points[~visible] == 0).all()
    # the benchmark ground truth: the listed crops' pixels, and the mask
    gt_img = stack(dataset, 'gt_landmarks_img')
    np.testing.assert_allclose(gt_img[visible], expected[visible], rtol=1e-5)
    assert (gt_img[~visible] == 0).all()
    np.testing.assert_array_equal(
        stack(dataset, 'gt_landmarks_img_visible'), visible)
    np.testing.assert_array_equal(
        stack(dataset, 'roi_box'), np.tile([0, 0, 120, 120], (NUM, 1)))
    pts68 = aflw['arrays']['AFLW_GT_pts68.npy'][:, :2].transpose(0, 2, 1)
    pts68 = (pts68 - box[..., :2]) * scale
    np.testing.assert_allclose(
        stack(dataset, 'gt_bbox'),
        np.concatenate([pts68.min(1), pts68.max(1)], 1),
        rtol=1e-5)
    np.testing.assert_allclose(
        stack(dataset, 'yaw'), aflw['arrays']['AFLW_GT_crop_yaws.npy'])
    info = dataset.get_data_info(0)
    assert info['img_path'].endswith('AFLW_GT_crop/' + aflw['names'][0])
    assert not info['has_3d'] and not info['has_2d']


def test_original_images_without_pts68(aflw):
    (aflw['root'] / 'aflw/annotations/AFLW_GT_pts68.npy').unlink()
    dataset = AFLW21Dataset(
        data_root=str(aflw['root']), images_are_crops=False)
    pts21 = aflw['arrays']['AFLW_GT_pts21.npy'].transpose(0, 2, 1)
    visible = ~(pts21 == -1).all(2)
    np.testing.assert_allclose(
        stack(dataset, 'gt_landmarks_2d')[visible], pts21[visible])
    np.testing.assert_allclose(
        stack(dataset, 'gt_landmarks_img')[visible], pts21[visible])
    np.testing.assert_array_equal(stack(dataset, 'roi_box'), aflw['boxes'])
    vis0 = pts21[0][visible[0]]
    np.testing.assert_allclose(
        stack(dataset, 'gt_bbox')[0], np.r_[vis0.min(0),
                                            vis0.max(0)])


def test_bad_arrays(aflw):
    np.save(aflw['root'] / 'aflw/annotations/AFLW_GT_crop_yaws.npy',
            np.zeros(NUM + 1))
    with pytest.raises(ValueError, match=r'AFLW_GT_crop_yaws\.npy has shape'):
        AFLW21Dataset(data_root=str(aflw['root']))
    (aflw['root'] / 'aflw/annotations/AFLW_GT_pts21.npy').unlink()
    with pytest.raises(FileNotFoundError, match='AFLW_GT_pts21'):
        AFLW21Dataset(data_root=str(aflw['root']))


def test_every_image_unreadable(aflw):
    """No readable crop at all: a ValueError naming the list and the reason,
    not mmengine's 'need at least one array to concatenate'."""
    for name in aflw['names']:
        (aflw['root'] / 'aflw/AFLW_GT_crop' / name).unlink()
    (aflw['root'] / 'aflw/AFLW_GT_crop' / aflw['names'][0]).write_bytes(
        b'\xff\xd8 truncated')
    with pytest.raises(ValueError, match=r'AFLW21Dataset: no usable sample in'
                       rf' .*AFLW_GT_crop\.list.*{NUM} x unreadable image'):
        AFLW21Dataset(data_root=str(aflw['root']))
