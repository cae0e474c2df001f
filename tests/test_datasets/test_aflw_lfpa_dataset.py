"""AFLWLFPADataset on a fixture in its list format: 34 of the AFLW2000-3D
landmarks of real images, some marked invisible."""
import numpy as np
import pytest

from mmface3d.datasets import AFLWLFPADataset, format_landmark_line

# 34 of the 68 points: jaw (every other), brows, nose, eye corners, mouth.
SUBSET = list(range(0, 17, 2)) + list(range(17, 27)) + [27, 30, 31, 33, 35] \
    + [36, 39, 42, 45] + [48, 51, 54, 57, 62, 66]


@pytest.fixture
def lfpa(data_root, tmp_path):
    ann = data_root / 'aflw2000_3d/annotations'
    names = (ann / 'AFLW2000-3D.list').read_text().split()[:5]
    pts = np.load(ann / 'AFLW2000-3D.pts68.npy')[:5, :2].transpose(0, 2,
                                                                   1)[:,
                                                                      SUBSET]
    visible = np.ones((5, 34), dtype=bool)
    visible[0, :9] = False  # the jaw side hidden
    visible[3, [5, 20]] = False
    written = np.where(visible[..., None], pts, -1)
    lines = [format_landmark_line(n, p) for n, p in zip(names, written)]
    path = tmp_path / 'lfpa.txt'
    path.write_text('\n'.join(lines) + '\n')
    return dict(
        path=path,
        names=names,
        pts=pts,
        visible=visible,
        img_dir=data_root / 'aflw2000_3d/AFLW2000')


def stack(dataset, key):
    return np.stack(
        [dataset.get_data_info(i)[key] for i in range(len(dataset))])


def test_samples(lfpa):
    dataset = AFLWLFPADataset(
        ann_file=str(lfpa['path']),
        data_prefix=dict(img_path=str(lfpa['img_dir'])))
    assert len(dataset) == 5 and dataset.metainfo['num_landmarks'] == 34
    visible = stack(dataset, 'gt_landmarks_visible')
    points = stack(dataset, 'gt_landmarks_2d')
    np.testing.assert_array_equal(visible, lfpa['visible'])
    np.testing.assert_allclose(
        points[visible], lfpa['pts'][lfpa['visible']], atol=1e-3)
    assert (points[~visible] == 0).all()
    # the benchmark ground truth: the same image-pixel points and mask
    np.testing.assert_array_equal(stack(dataset, 'gt_landmarks_img'), points)
    np.testing.assert_array_equal(
        stack(dataset, 'gt_landmarks_img_visible'), lfpa['visible'])
    # the normaliser box is the bbox of the visible points only
    bbox = stack(dataset, 'gt_bbox')
    vis0 = lfpa['pts'][0][lfpa['visible'][0]]
    np.testing.assert_allclose(
        bbox[0], np.r_[vis0.min(0), vis0.max(0)], atol=1e-3)
    # the crop box holds the visible points (inside the image)
    boxes = stack(dataset, 'roi_box')
    for i in range(5):
        vis = np.clip(points[i][visible[i]], 1, 450)
        assert (vis >= boxes[i, :2]).all() and (vis <= boxes[i, 2:]).all()
    info = dataset.get_data_info(0)
    assert not info['has_3d'] and not info['has_2d']


def test_input_landmarks_and_errors(lfpa, data_root, tmp_path):
    pts68 = np.load(data_root / 'aflw2000_3d/annotations/AFLW2000-3D.pts68.'
                    'npy')[:4, :2].transpose(0, 2, 1)
    inputs = tmp_path / 'fan.txt'
    inputs.write_text('\n'.join(
        format_landmark_line(n, p) for n, p in zip(lfpa['names'][:4], pts68)) +
                      '\n' + lfpa['names'][4] + '\n')
    dataset = AFLWLFPADataset(
        ann_file=str(lfpa['path']),
        data_prefix=dict(img_path=str(lfpa['img_dir'])),
        input_landmarks=str(inputs))
    assert len(dataset) == 4 and dataset.missing_input == [lfpa['names'][4]]
    info = dataset.get_data_info(2)
    assert info['has_2d']
    np.testing.assert_allclose(info['landmarks_2d_input'], pts68[2], atol=1e-3)

    with open(lfpa['path'], 'a') as f:
        f.write('no_points.jpg\n')
    with pytest.raises(ValueError, match='lines without landmarks'):
        AFLWLFPADataset(ann_file=str(lfpa['path']))
    lfpa['path'].write_text('a.jpg,1,2\n')
    with pytest.raises(ValueError, match=r'lfpa\.txt, line 1: expected 68'):
        AFLWLFPADataset(ann_file=str(lfpa['path']))
