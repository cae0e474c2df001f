"""The bad-sample policy: log, count, replace in training; raise in test."""
import cv2
import numpy as np
import pytest
import torch

from mmface3d.datasets import InTheWildDataset, format_landmark_line
from mmface3d.datasets.transforms import LoadFaceImage
from mmface3d.datasets.transforms.face_data_error import (FaceDataError,
                                                          FaceImageError)


@pytest.fixture
def wild(data_root, tmp_path):
    """Three real images and one truncated JPEG whose header is intact."""
    ann = data_root / 'aflw2000_3d/annotations'
    src = data_root / 'aflw2000_3d/AFLW2000'
    names = (ann / 'AFLW2000-3D.list').read_text().split()[:4]
    pts = np.load(ann / 'AFLW2000-3D.pts68.npy')[:4, :2].transpose(0, 2, 1)
    for i, name in enumerate(names):
        data = (src / name).read_bytes()
        (tmp_path / name).write_bytes(data[:len(data) //
                                           2] if i == 2 else data)
    path = tmp_path / 'list.txt'
    path.write_text('\n'.join(
        format_landmark_line(n, p) for n, p in zip(names, pts)) + '\n')
    return dict(ann_file=str(path), data_prefix=dict(img_path=str(tmp_path)))


def test_broken_image_is_replaced_and_counted(wild):
    np.random.seed(0)
    dataset = InTheWildDataset(
        **wild, pipeline=[LoadFaceImage()], max_refetch=50)
    assert len(dataset) == 4  # the header is readable: found at run time
    sample = dataset[2]
    assert sample['img'].shape == (450, 450, 3)
    assert sample['img_path'] != dataset.get_data_info(2)['img_path']
    assert list(dataset.bad_samples) == [2]
    assert 'truncated JPEG' in dataset.bad_samples[2]
    for i in (0, 1, 3):
        assert dataset[i]['img_path'] == dataset.get_data_info(i)['img_path']
    assert len(dataset.bad_samples) == 1

    test_set = InTheWildDataset(
        **wild, pipeline=[LoadFaceImage()], test_mode=True)
    with pytest.raises(FaceImageError, match='truncated JPEG'):
        test_set[2]


def poison(results):
    """A transform that breaks sample 1 with NaN and drops sample 3."""
    if results['img_id'] == 3:
        return None
    value = np.nan if results['img_id'] == 1 else 1.0
    results['inputs'] = torch.full((2, ), value)
    return results


def test_non_finite_and_none_results(wild):
    np.random.seed(1)
    dataset = InTheWildDataset(**wild, pipeline=[poison])
    out = [dataset[i] for i in (0, 1, 3)]
    assert all(torch.isfinite(o['inputs']).all() for o in out)
    assert {o['img_id'] for o in out} <= {0, 2}
    assert dataset.bad_samples == {
        1: 'NaN or inf in inputs',
        3: 'the pipeline returned None'
    }
    test_set = InTheWildDataset(**wild, pipeline=[poison], test_mode=True)
    with pytest.raises(FaceDataError, match='NaN or inf in inputs'):
        test_set[1]


def test_gives_up_after_max_refetch(wild):
    dataset = InTheWildDataset(
        **wild, pipeline=[lambda r: None], max_refetch=3)
    with pytest.raises(Exception, match='Cannot find valid image after 3'):
        dataset[0]
    assert 0 in dataset.bad_samples


def test_original_image_reads_the_file(wild):
    """What the visualization hook draws on: the sample's file as BGR uint8,
    whatever the pipeline does to the sample."""
    dataset = InTheWildDataset(**wild, pipeline=[poison])
    info = dataset.get_data_info(1)
    image = dataset.original_image(info['img_id'], info['img_path'])
    assert image.dtype == np.uint8 and image.shape == (450, 450, 3)
    np.testing.assert_array_equal(image, cv2.imread(info['img_path']))
    broken = dataset.get_data_info(2)
    with pytest.raises(FaceImageError, match='truncated JPEG'):
        dataset.original_image(broken['img_id'], broken['img_path'])
