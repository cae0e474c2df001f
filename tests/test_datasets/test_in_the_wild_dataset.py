import numpy as np
import pytest

from mmface3d.datasets import InTheWildDataset, format_landmark_line

FLM_ROWS = np.array([
    (17, 17), (19, 19), (21, 21), (22, 22), (24, 24), (26, 26), (36, 36),
    (37, 40), (39, 39), (42, 42), (43, 46), (45, 45), (31, 31), (30, 30),
    (35, 35), (48, 48), (62, 66), (54, 54)
])


@pytest.fixture(scope='module')
def aflw(data_root):
    ann = data_root / 'aflw2000_3d/annotations'
    return dict(
        img_dir=data_root / 'aflw2000_3d/AFLW2000',
        names=(ann / 'AFLW2000-3D.list').read_text().split()[:8],
        pts68=np.load(ann /
                      'AFLW2000-3D.pts68.npy')[:8, :2].transpose(0, 2, 1),
        pts21=np.load(ann / 'AFLW2000-3D.pts21.npy')[:8].transpose(0, 2, 1),
        boxes=np.load(ann / 'AFLW2000-3D_crop.roi_box.npy')[:8])


def write_list(path, names, points):
    lines = [format_landmark_line(n, p) for n, p in zip(names, points)]
    path.write_text('\n'.join(lines) + '\n')


def stack(dataset, key):
    return np.stack(
        [dataset.get_data_info(i)[key] for i in range(len(dataset))])


def test_68_point_list(tmp_path, aflw):
    path = tmp_path / 'wild.txt'
    write_list(path, aflw['names'][:6], aflw['pts68'][:6])
    with open(path, 'a') as f:
        f.write('image_without_face.jpg\n')
        f.write(format_landmark_line('missing.jpg', aflw['pts68'][0]) + '\n')
    dataset = InTheWildDataset(
        ann_file=str(path), data_prefix=dict(img_path=str(aflw['img_dir'])))
    assert len(dataset) == 6
    assert dataset.failed == ['image_without_face.jpg']
    assert dataset.skipped == {
        'image_without_face.jpg': 'no landmarks (no face found)',
        'missing.jpg': 'unreadable image'
    }
    assert dataset.metainfo['has_2d'] and not dataset.metainfo['has_3d']
    info = dataset.get_data_info(0)
    assert info['img_path'] == str(aflw['img_dir'] / aflw['names'][0])
    assert not info['has_3d'] and info['has_2d']
    assert 'gt_params_img' not in info
    np.testing.assert_allclose(
        stack(dataset, 'landmarks_2d_input'), aflw['pts68'][:6], atol=1e-3)
    assert stack(dataset, 'landmarks_2d_input_visible').all()
    # the benchmark rule on pt3d_68 = the released boxes
    np.testing.assert_array_equal(stack(dataset, 'roi_box'), aflw['boxes'][:6])


def test_21_point_list(tmp_path, aflw):
    path = tmp_path / 'aflw21.txt'
    write_list(path, aflw['names'], aflw['pts21'])
    dataset = InTheWildDataset(
        ann_file=str(path),
        data_prefix=dict(img_path=str(aflw['img_dir'])),
        num_points=21)
    assert len(dataset) == 8
    points = stack(dataset, 'landmarks_2d_input')
    visible = stack(dataset, 'landmarks_2d_input_visible')
    assert points.shape == (8, 68, 2) and visible.shape == (8, 68)
    # the nose tip (AFLW 15) fills row 30; hidden AFLW points stay hidden
    np.testing.assert_allclose(points[:, 30], aflw['pts21'][:, 14], atol=1e-3)
    hidden = (aflw['pts21'][:, 0] == -1).all(1)  # left brow left end
    np.testing.assert_array_equal(visible[:, 17], ~hidden)
    assert (points[~visible] == 0).all()
    # every visible map point lies near its 68-point annotation
    flm = (points[:, FLM_ROWS[:, 0]] + points[:, FLM_ROWS[:, 1]]) / 2
    gt = (aflw['pts68'][:, FLM_ROWS[:, 0]] +
          aflw['pts68'][:, FLM_ROWS[:, 1]]) / 2
    vis = visible[:, FLM_ROWS[:, 0]]
    size = np.sqrt(np.prod(np.ptp(aflw['pts68'], axis=1), axis=1))
    err = np.linalg.norm(flm - gt, axis=2) / size[:, None]
    assert np.median(err[vis]) < 0.05
    # the box covers the visible points (those inside the 450x450 image:
    # boxes are clipped to it)
    boxes = stack(dataset, 'roi_box')
    pts = np.where(visible[..., None], np.clip(points, 1, 450),
                   boxes[:, None, :2])
    assert (pts >= boxes[:, None, :2]).all()
    assert (pts <= boxes[:, None, 2:]).all()


def test_few_visible_points_and_bad_lines(tmp_path, aflw):
    points = aflw['pts21'][:2].copy()
    points[1, 3:] = -1  # three visible points
    path = tmp_path / 'few.txt'
    write_list(path, aflw['names'][:2], points)
    dataset = InTheWildDataset(
        ann_file=str(path), data_prefix=dict(img_path=str(aflw['img_dir'])))
    assert len(dataset) == 1 and aflw['names'][1] in dataset.skipped

    with open(path, 'a') as f:
        f.write('x.jpg,1,2,3\n')
    with pytest.raises(ValueError, match=r'few\.txt, line 3: expected 42'):
        InTheWildDataset(ann_file=str(path))
    write_list(path, aflw['names'][:1], aflw['pts68'][:1, :30])
    with pytest.raises(ValueError, match='lines hold 30 points'):
        InTheWildDataset(ann_file=str(path))
    with pytest.raises(ValueError, match='num_points must be'):
        InTheWildDataset(ann_file=str(path), num_points=30)


def test_no_usable_sample_is_a_clear_error(tmp_path, aflw):
    """A list of failed detections only, or of images that cannot be read,
    is refused naming the list and why every line was left out (not
    mmengine's 'need at least one array to concatenate')."""
    path = tmp_path / 'failed.txt'
    path.write_text('1081\nno_face.jpg\n')
    with pytest.raises(ValueError, match=r'no usable sample in .*failed\.txt'
                       r'.*2 x no landmarks'):
        InTheWildDataset(ann_file=str(path))

    path = tmp_path / 'unreadable.txt'
    write_list(path, aflw['names'][:3], aflw['pts68'][:3])
    empty = tmp_path / 'images'
    empty.mkdir()
    (empty / aflw['names'][0]).write_bytes(b'not an image')
    with pytest.raises(ValueError, match=r'no usable sample in '
                       r'.*unreadable\.txt.*3 x unreadable image'):
        InTheWildDataset(ann_file=str(path),
                         data_prefix=dict(img_path=str(empty)))
