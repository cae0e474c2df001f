"""AFLW21Dataset on a fixture in the 3DDFA AFLW benchmark layout: 120x120
crops of real AFLW2000-3D images by their released boxes, with their 21-
and 68-point annotations."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope

from mmface3d.datasets import AFLW21Dataset
from mmface3d.evaluation import AFLW21Metric
from mmface3d.morphable import AFLW21_TO_68

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
    # a point that was not annotated has x = -1 (its y is 452 in the release)
    visible = pts21[..., 0] != -1
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
    # a point that was not annotated has x = -1 (its y is 452 in the release)
    visible = pts21[..., 0] != -1
    np.testing.assert_allclose(
        stack(dataset, 'gt_landmarks_2d')[visible], pts21[visible])
    np.testing.assert_allclose(
        stack(dataset, 'gt_landmarks_img')[visible], pts21[visible])
    np.testing.assert_array_equal(stack(dataset, 'roi_box'), aflw['boxes'])
    vis0 = pts21[0][visible[0]]
    np.testing.assert_allclose(
        stack(dataset, 'gt_bbox')[0], np.r_[vis0.min(0),
                                            vis0.max(0)])


def test_zero_based_pixels(aflw):
    """``pixel_origin=0.0``: the released points count pixels from 1
    (MATLAB), so every annotated point, the benchmark ground truth and the
    NME box move by -1 original-image pixel before the crop mapping, i.e.
    by -120 / box size in the crop; missing points stay 0 and masked."""
    released = AFLW21Dataset(data_root=str(aflw['root']))
    zero = AFLW21Dataset(data_root=str(aflw['root']), pixel_origin=0.0)
    visible = stack(released, 'gt_landmarks_visible')
    np.testing.assert_array_equal(
        stack(zero, 'gt_landmarks_visible'), visible)
    box = aflw['boxes'][:, None].astype(np.float64)
    step = 120 / (box[..., 2:] - box[..., :2])  # crop px per image px
    for key in ('gt_landmarks_2d', 'gt_landmarks_img'):
        moved = stack(released, key) - np.broadcast_to(step, (NUM, 21, 2))
        np.testing.assert_allclose(
            stack(zero, key)[visible], moved[visible], rtol=1e-5,
            atol=1e-4)
        assert (stack(zero, key)[~visible] == 0).all()
    np.testing.assert_allclose(
        stack(zero, 'gt_bbox'),
        stack(released, 'gt_bbox') - np.tile(step[:, 0], (1, 2)),
        rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match=r'pixel_origin must be one of '
                       r'\(0\.0, 1\.0\), got 0\.5'):
        AFLW21Dataset(data_root=str(aflw['root']), pixel_origin=0.5)


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


# The real in-the-wild files (../shared/data/aflw_itw, see its README): a
# missing point is stored as x = -1, y = 452 in the 450x450 original image.
ITW_ANN = 'aflw_itw/annotations'
# The 18 landmark-map points among the 21 (README: all but the two ears and
# the chin), and for each the 68-point rows REFERENCE.md section 4 reads it
# from (a midpoint for the eye and mouth centres).
MAP_POINTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 17, 18, 19]
MAP_ROWS = [(17, ), (19, ), (21, ), (22, ), (24, ), (26, ), (36, ), (37, 40),
            (39, ), (42, ), (43, 46), (45, ), (31, ), (30, ), (35, ), (48, ),
            (62, 66), (54, )]
# AFLW21Metric(pred_key='pred_flm_points') of the 2DASL configs: the 18
# map points predicted, the ears and the chin not
FLM_PRED_INDICES = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, None, 12, 13, 14, None, 15, 16, 17,
    None
]
VAL_PIPELINE = [
    dict(type='LoadFaceImage'),
    dict(type='FaceCrop', crop_size=120, box_source='roi_box'),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]


@pytest.fixture(scope='module')
def itw(data_root):
    """A slice of the real aflw_itw list chosen from the raw arrays: the
    first four faces with missing points, the first with missing points and
    a non-square box, and the first with missing points and a visible point
    outside its box. Gives ``rows``, the raw ``pts21`` (R, 21, 2), ``boxes``
    (R, 4), ``missing`` (R, 21) (x == -1) and ``crop`` (R, 21, 2): the
    points mapped by hand into the 120x120 crops."""
    ann = data_root / ITW_ANN
    pts21 = np.load(ann / 'AFLW_GT_pts21.npy').transpose(0, 2, 1)
    boxes = np.load(ann / 'AFLW_GT_crop_roi_box.npy').astype(np.float64)
    missing = pts21[..., 0] == -1
    side = boxes[:, 2:] - boxes[:, :2]
    outside = ((pts21 < boxes[:, None, :2]) |
               (pts21 > boxes[:, None, 2:])).any(2) & ~missing
    has_missing = missing.any(1)
    rows = np.unique(np.r_[
        np.flatnonzero(has_missing)[:4],
        np.flatnonzero(has_missing & (side[:, 0] != side[:, 1]))[0],
        np.flatnonzero(has_missing & outside.any(1))[0]])
    assert len(rows) == 6
    # what the README says of the marker, on this slice
    assert (pts21[rows][missing[rows]] == [-1, 452]).all()
    scale = 120 / side[rows]
    crop = (pts21[rows].astype(np.float64) -
            boxes[rows, None, :2]) * scale[:, None]
    return dict(
        rows=rows, pts21=pts21[rows], boxes=boxes[rows],
        missing=missing[rows], crop=crop, marker=(np.array(
            [-1.0, 452.0]) - boxes[rows, :2]) * scale)


@pytest.fixture(scope='module')
def itw_packed(data_root, itw):
    """The slice through the 2DASL validation pipeline: the packed
    ``inputs`` and data samples, in ``itw['rows']`` order."""
    init_default_scope('mmface3d')
    dataset = AFLW21Dataset(
        data_root=str(data_root),
        ann_file=f'{ITW_ANN}/AFLW_GT_crop.list',
        data_prefix=dict(img_path='aflw_itw/AFLW_GT_crop'),
        input_from_annotation=True,
        indices=itw['rows'].tolist(),
        test_mode=True,
        pipeline=VAL_PIPELINE)
    packed = [dataset[i] for i in range(len(dataset))]
    assert [p['data_samples'].img_id for p in packed] == itw['rows'].tolist()
    return packed


def test_itw_missing_points_masked(itw, itw_packed):
    """Real aflw_itw faces with missing points: the masks are exactly
    ``x != -1`` of the raw array, the visible points are the hand-mapped
    crop pixels (inside the 120-pixel crop exactly where the raw point is
    inside its box), and no missing point reaches any point field (0 there,
    never the mapped marker)."""
    for k, packed in enumerate(itw_packed):
        sample = packed['data_samples']
        visible = ~itw['missing'][k]
        assert 0 < visible.sum() < 21
        for key in ('gt_landmarks_visible', 'gt_landmarks_img_visible'):
            np.testing.assert_array_equal(sample.get(key).numpy(), visible)
        expected = itw['crop'][k]
        for key in ('gt_landmarks_2d', 'gt_landmarks_img'):
            points = sample.get(key).numpy()
            np.testing.assert_allclose(
                points[visible], expected[visible], rtol=1e-5, atol=1e-4)
            assert (points[~visible] == 0).all()
        raw = itw['pts21'][k]
        box = itw['boxes'][k]
        in_box = ((raw >= box[:2]) & (raw <= box[2:])).all(1)
        points = sample.gt_landmarks_2d.numpy()
        in_crop = ((points >= -1e-4) & (points <= 120 + 1e-4)).all(1)
        np.testing.assert_array_equal(in_crop[visible], in_box[visible])
        for key in ('gt_landmarks_2d', 'gt_landmarks_img',
                    'landmarks_2d_input'):
            points = sample.get(key).numpy()
            assert not np.isclose(points, itw['marker'][k], atol=1e-2).all(
                1).any(), f'{key} holds a missing point'
        assert sample.roi_box.tolist() == [0, 0, 120, 120]
    # the slice holds a visible point outside its crop, and a hidden one
    outside = [((itw['crop'][k] < 0) | (itw['crop'][k] > 120)).any(1)
               & ~itw['missing'][k] for k in range(len(itw['rows']))]
    assert np.concatenate(outside).any()


def test_itw_landmark_map_input(itw, itw_packed):
    """The 18 map points of the 21 are the landmark-map input
    (``landmarks_2d_input`` (68, 2): each point in the rows REFERENCE.md
    reads it from, masked where missing; no other point) and the map
    channel is -1 everywhere but +1 at ``floor`` of the visible ones,
    clipped to [1, 119]."""
    for k, packed in enumerate(itw_packed):
        sample = packed['data_samples']
        points = sample.landmarks_2d_input.numpy()
        mask = sample.landmarks_2d_input_visible.numpy()
        assert (points[~mask] == 0).all()
        expected_map = np.full((120, 120), -1.0, dtype=np.float32)
        for point, rows in zip(MAP_POINTS, MAP_ROWS):
            visible = not itw['missing'][k, point]
            assert mask[list(rows)].tolist() == [visible] * len(rows)
            if not visible:
                continue
            np.testing.assert_allclose(
                points[list(rows)].mean(0), itw['crop'][k, point],
                rtol=1e-5, atol=1e-4)
            x, y = np.clip(
                np.floor(itw['crop'][k, point].astype(np.float32)), 1, 119)
            expected_map[int(y), int(x)] = 1.0
        # any other row flagged visible holds one of the visible points
        shown = itw['crop'][k, MAP_POINTS][~itw['missing'][k, MAP_POINTS]]
        dist = np.linalg.norm(points[mask][:, None] - shown, axis=2)
        assert (dist.min(1) < 1e-3).all()
        inputs = packed['inputs'].numpy()
        assert inputs.shape == (4, 120, 120)
        np.testing.assert_array_equal(inputs[3], expected_map)


def evaluate(metric, itw_packed, key, predictions):
    """Run ``metric`` through mmengine's Evaluator on the packed samples
    with ``predictions`` (R, M, D) as field ``key``."""
    samples = []
    for packed, pred in zip(itw_packed, predictions):
        sample = packed['data_samples'].clone()
        sample.set_field(torch.from_numpy(pred), key)
        samples.append(sample)
    evaluator = Evaluator(metric)
    evaluator.process(data_samples=samples, data_batch=None)
    return evaluator.evaluate(len(samples))


def itw_nme(itw, shift):
    """Hand NME (percent) of predictions ``shift`` pixels off every point:
    |shift| over sqrt(w * h) of the visible 21 points' box in the crop."""
    sizes = []
    for crop, missing in zip(itw['crop'], itw['missing']):
        visible = crop[~missing]
        sizes.append(np.sqrt(np.prod(visible.max(0) - visible.min(0))))
    return 100 * np.mean(np.linalg.norm(shift) / np.array(sizes))


@pytest.mark.parametrize('shift', [(0.0, 0.0), (1.5, -2.0)])
def test_itw_metric_ignores_missing_points(itw, itw_packed, shift):
    """AFLW21Metric on the real slice scores the visible points only:
    predictions at the hand-mapped ground truth (+ ``shift``) on visible
    points and 1e3 on missing ones (and on every unpredicted row) give the
    hand NME, 0 without shift; the same with the 18 map points of the
    2DASL configs (``pred_flm_points``)."""
    expected = itw_nme(itw, shift)
    pred68 = np.full((len(itw['rows']), 68, 3), 1e3, dtype=np.float32)
    pred18 = np.full((len(itw['rows']), 18, 2), 1e3, dtype=np.float32)
    for k in range(len(itw['rows'])):
        for point, rows in AFLW21_TO_68.items():
            if not itw['missing'][k, point]:
                pred68[k, list(rows), :2] = itw['crop'][k, point] + shift
        for j, point in enumerate(MAP_POINTS):
            if not itw['missing'][k, point]:
                pred18[k, j] = itw['crop'][k, point] + shift
    out = evaluate(AFLW21Metric(by_yaw=False), itw_packed, 'pred_landmarks',
                   pred68)
    assert out['aflw21/nme_18of21_2d_all'] == pytest.approx(
        expected, abs=1e-4)
    out = evaluate(
        AFLW21Metric(
            pred_key='pred_flm_points', pred_indices=FLM_PRED_INDICES,
            prefix='aflw_itw_val'), itw_packed, 'pred_flm_points', pred18)
    assert out['aflw_itw_val/nme_18of21_2d_all'] == pytest.approx(
        expected, abs=1e-4)
