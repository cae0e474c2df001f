"""RandomFlip, and the acceptance round trip: AFLW2000-3D GT params through
scale / shift / rotation / flip still project onto the transformed GT
landmarks."""
import cv2
import numpy as np
import pytest
import torch

from mmface3d.datasets import AFLW2000Dataset, SyntheticFaceDataset
from mmface3d.datasets.synthetic import close_mouth
from mmface3d.datasets.transforms import FaceCrop, LoadFaceImage, RandomFlip
from mmface3d.morphable import MorphableModel, render
from mmface3d.morphable.affine import transform_points
from mmface3d.morphable.landmark_layouts import (FLIP_INDICES_21,
                                                 FLIP_INDICES_68)

# The mirror of 1-based points (the default pixel_origin) in a 120 px crop:
# column j, centred on j + 1, becomes column 119 - j, centred on 120 - j.
AXIS = 121


def crop_sample(seed=0):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(10, 110, (68, 3))
    return dict(
        img=rng.integers(0, 256, (120, 120, 3), dtype=np.uint8),
        gt_landmarks_2d=pts[:, :2].astype(np.float32),
        gt_landmarks_3d=pts.astype(np.float32),
        landmarks_2d_input=pts[:, :2].astype(np.float32) + 1,
        crop_affine=np.array([[0.5, 0.1, 3.], [-0.1, 0.5, 4.]], np.float32))


def test_flip_image_and_points():
    sample = crop_sample()
    before = {k: np.copy(v) for k, v in sample.items()}
    out = RandomFlip(prob=1.0)(sample)
    np.testing.assert_array_equal(out['img'], before['img'][:, ::-1])
    assert out['flip'] is True
    # new point 36 (image-left outer eye corner) is the mirrored old 45
    np.testing.assert_allclose(
        out['gt_landmarks_2d'][36],
        [AXIS - before['gt_landmarks_2d'][45, 0],
         before['gt_landmarks_2d'][45, 1]])
    np.testing.assert_allclose(out['gt_landmarks_3d'][36, 2],
                               before['gt_landmarks_3d'][45, 2])
    np.testing.assert_allclose(out['landmarks_2d_input'][0, 0],
                               AXIS - before['landmarks_2d_input'][16, 0])


@pytest.mark.parametrize('origin', [1.0, 0.0, 0.5])
def test_points_stay_on_their_pixel(origin):
    """A landmark on the centre of a marked pixel is on the centre of the
    same pixel after the flip, whatever the points' pixel origin."""
    img = np.zeros((120, 120, 3), np.uint8)
    rows, cols = np.array([10, 50, 90]), np.array([0, 37, 119])
    img[rows, cols] = 255
    pts = np.zeros((68, 2), np.float32)
    pts[:3] = np.stack([cols, rows], 1) + origin
    out = RandomFlip(prob=1.0, pixel_origin=origin)(
        dict(img=img, gt_landmarks_2d=pts))
    # points 0..2 are renumbered 16..14 by the 68-point mirror
    moved = out['gt_landmarks_2d'][[16, 15, 14]] - origin
    assert (out['img'][moved[:, 1].astype(int), moved[:, 0].astype(int)] ==
            255).all()
    np.testing.assert_array_equal(moved, np.stack([119 - cols, rows], 1))


def test_mirrored_params_render_onto_the_flipped_image(data_root):
    """Synthetic v1 faces (1-based, as the renderer draws them): the face of
    the flipped params covers the flipped image's face (mask centroids
    agree to a small fraction of a pixel; a mirror one pixel off moves them
    by one)."""
    dataset = SyntheticFaceDataset(length=4, seed=1, pipeline=[])
    draws, scene = dataset.scene(range(4))
    masks = render(**scene).mask.numpy()[:, :, ::-1]
    flip = RandomFlip(prob=1.0)
    params = np.stack([
        flip(dict(img=np.zeros((120, 120, 3), np.uint8),
                  gt_params=d['params'], params_convention='v1'))['gt_params']
        for d in draws
    ])
    params = torch.from_numpy(params)
    model = dataset.face_model
    vertices, tri, colors = close_mouth(
        model.tri, dataset._mouth_edges, params, model.reconstruct(params),
        scene['colors'][:, :-1])
    flipped = render(**dict(scene, vertices=vertices, tri=tri,
                            colors=colors)).mask.numpy()
    cols = np.arange(120)
    shift = (flipped * cols).sum((1, 2)) / flipped.sum((1, 2)) - \
        (masks * cols).sum((1, 2)) / masks.sum((1, 2))
    assert np.abs(shift).max() < 0.25, shift


def test_flip_twice_is_identity():
    sample = crop_sample(1)
    before = {k: np.copy(v) for k, v in sample.items()}
    flip = RandomFlip(prob=1.0)
    out = flip(flip(sample))
    assert out['flip'] is False
    for key, value in before.items():
        np.testing.assert_allclose(out[key], value, atol=1e-5, err_msg=key)


def test_flipped_crop_affine_maps_image_points():
    sample = crop_sample(2)
    img_pts = np.random.default_rng(3).uniform(0, 200, (68, 2))
    affine = torch.from_numpy(sample['crop_affine']).double()[None]
    sample['gt_landmarks_2d'] = transform_points(
        torch.from_numpy(img_pts)[None], affine)[0].numpy()
    out = RandomFlip(prob=1.0)(sample)
    mapped = transform_points(
        torch.from_numpy(img_pts)[None],
        torch.from_numpy(out['crop_affine']).double()[None])[0].numpy()
    # crop_affine sends an image point to where it is seen in the flipped
    # crop; the landmark *labels* are renumbered left <-> right
    np.testing.assert_allclose(out['gt_landmarks_2d'][FLIP_INDICES_68],
                               mapped, atol=1e-3)


def test_no_flip_and_errors():
    sample = crop_sample()
    img = sample['img'].copy()
    out = RandomFlip()(sample)  # prob 0
    assert out['flip'] is False
    np.testing.assert_array_equal(out['img'], img)
    with pytest.raises(ValueError, match='before LandmarkMap'):
        RandomFlip(prob=1.0)(dict(crop_sample(), landmark_map=np.zeros(1)))
    with pytest.raises(ValueError, match=r'\(K, D\)'):
        RandomFlip(prob=1.0)(dict(img=np.zeros((5, 5, 3)),
                                  gt_landmarks_2d=np.zeros(21)))
    with pytest.raises(ValueError, match='prob'):
        RandomFlip(prob=2.0)
    with pytest.raises(KeyError, match=r'f\.jpg.*params_convention'):
        RandomFlip(prob=1.0)(dict(img=np.zeros((5, 5, 3)), img_path='f.jpg',
                                  gt_params=np.zeros(62, np.float32)))
    np.random.seed(0)
    flips = [RandomFlip(prob=0.5)(crop_sample())['flip'] for _ in range(200)]
    assert 70 < sum(flips) < 130


def benchmark_sample(seed=0):
    """A crop with 21-point ground truth (left ear 12 hidden) and 68 input
    rows of which five are visible, hidden rows at 0 as datasets give."""
    rng = np.random.default_rng(seed)
    gt = rng.uniform(10, 110, (21, 2)).astype(np.float32)
    gt_visible = np.arange(21) != 12
    gt[~gt_visible] = 0
    inputs = rng.uniform(10, 110, (68, 2)).astype(np.float32)
    input_visible = np.isin(np.arange(68), [17, 30, 36, 37, 40])
    inputs[~input_visible] = 0
    return dict(
        img=rng.integers(0, 256, (120, 120, 3), dtype=np.uint8),
        gt_landmarks_2d=gt, gt_landmarks_visible=gt_visible,
        gt_bbox=np.array([5., 6., 100., 110.], np.float32),
        landmarks_2d_input=inputs, landmarks_2d_input_visible=input_visible,
        crop_affine=np.array([[0.5, 0.1, 3.], [-0.1, 0.5, 4.]], np.float32))


def test_flip_21_points_and_masks():
    sample = benchmark_sample()
    before = {k: np.copy(v) for k, v in sample.items()}
    out = RandomFlip(prob=1.0)(sample)
    gt = out['gt_landmarks_2d']
    # new 0 (left brow left end) is the mirrored old 5 (right brow right end)
    np.testing.assert_allclose(gt[0], [AXIS - before['gt_landmarks_2d'][5, 0],
                                       before['gt_landmarks_2d'][5, 1]])
    # the nose centre (14) keeps its index
    np.testing.assert_allclose(gt[14, 0],
                               AXIS - before['gt_landmarks_2d'][14, 0])
    # the hidden left ear becomes the hidden right ear, still at 0
    assert out['gt_landmarks_visible'].tolist() == \
        [k != 16 for k in range(21)]
    np.testing.assert_array_equal(gt[16], [0, 0])
    # input rows 17, 30, 36, 37, 40 -> 26, 30, 45, 44, 47
    assert np.flatnonzero(out['landmarks_2d_input_visible']).tolist() == \
        [26, 30, 44, 45, 47]
    np.testing.assert_allclose(
        out['landmarks_2d_input'][45],
        [AXIS - before['landmarks_2d_input'][36, 0],
         before['landmarks_2d_input'][36, 1]])
    hidden = ~out['landmarks_2d_input_visible']
    assert (out['landmarks_2d_input'][hidden] == 0).all()
    np.testing.assert_array_equal(out['gt_bbox'], before['gt_bbox'])
    again = RandomFlip(prob=1.0)(out)
    for key, value in before.items():
        np.testing.assert_allclose(again[key], value, atol=1e-5, err_msg=key)


def test_flipped_21_points_map_back_to_mirror_partners():
    """Through the flipped crop_affine, new point k maps back to where the
    image shows old point FLIP_INDICES_21[k]: a metric that maps ground
    truth back to the image sees the relabelled points."""
    sample = benchmark_sample(1)
    img_pts = np.random.default_rng(6).uniform(0, 200, (21, 2))
    sample['gt_landmarks_visible'] = np.ones(21, bool)
    sample['gt_landmarks_2d'] = transform_points(
        torch.from_numpy(img_pts)[None],
        torch.from_numpy(sample['crop_affine']).double()[None])[0].numpy()
    out = RandomFlip(prob=1.0)(sample)
    affine = out['crop_affine'].astype(np.float64)
    back = (out['gt_landmarks_2d'] - affine[:, 2]) @ np.linalg.inv(
        affine[:, :2]).T
    np.testing.assert_allclose(back, img_pts[FLIP_INDICES_21], atol=1e-3)


def test_unknown_layout_is_an_error():
    sample = dict(img=np.zeros((120, 120, 3), np.uint8), img_path='l.jpg',
                  gt_landmarks_2d=np.ones((34, 2), np.float32),
                  gt_landmarks_visible=np.ones(34, bool),
                  landmarks_2d_input=np.ones((68, 2), np.float32))
    with pytest.raises(ValueError, match=r'l\.jpg.*34 points.*34-point '
                       r'layout.*flip_indices'):
        RandomFlip(prob=1.0)(sample)
    # nothing was flipped half-way
    np.testing.assert_array_equal(sample['landmarks_2d_input'], 1)
    assert 'flip' not in sample
    # neighbours swapped: 0 <-> 1, 2 <-> 3, ...
    swap = np.arange(34).reshape(17, 2)[:, ::-1].ravel()
    sample['gt_landmarks_2d'] = np.arange(68, dtype=np.float32).reshape(34, 2)
    out = RandomFlip(prob=1.0, flip_indices={34: swap.tolist()})(sample)
    np.testing.assert_allclose(out['gt_landmarks_2d'][0], [AXIS - 2, 3])
    assert 'flip_indices={34: [1, 0, 3, 2' in repr(
        RandomFlip(flip_indices={34: swap.tolist()}))


@pytest.mark.parametrize('perm', [[1, 2, 0], [0, 1], [0, 1, 3]])
def test_bad_flip_indices(perm):
    with pytest.raises(ValueError, match=r'flip_indices\[3\].*its own '
                       'inverse'):
        RandomFlip(flip_indices={3: perm})


@pytest.mark.parametrize('flip_prob', [0.0, 1.0])
def test_round_trip_aflw2000(bfm, aflw, aflw_subset, nme_percent, flip_prob):
    """Acceptance: GT params after scale / shift / rotation (/ flip) still
    match the transformed GT landmarks to NME <= 1 % (bbox-normalised) on
    20 AFLW2000-3D images."""
    np.random.seed(4)
    crop = FaceCrop(scale_jitter=0.15, shift_jitter=0.1, rotate_jitter=30)
    flip = RandomFlip(prob=flip_prob)
    projected, landmarks = [], []
    for k, i in enumerate(aflw_subset['index']):
        params = aflw_subset['params_img'][k].numpy().astype(np.float32)
        pts = aflw['pts68'][i].T
        sample = dict(
            img=cv2.imread(str(aflw['img_dir'] / aflw['names'][i])),
            roi_box=aflw['roi_box'][i].copy(), gt_params_img=params,
            params_convention='v1', gt_landmarks_2d=pts[:, :2].copy(),
            gt_landmarks_3d=pts.copy())
        out = flip(crop(sample))
        assert out['flip'] is bool(flip_prob)
        np.testing.assert_array_equal(out['gt_params_img'], params)
        new = torch.from_numpy(out['gt_params']).double()[None]
        projected.append(bfm.landmarks(new)[0].T.numpy())
        landmarks.append(out['gt_landmarks_2d'])
    nme = nme_percent(np.stack(projected), np.stack(landmarks))
    # the 40 + 10 component fits themselves, in the image: ~0.9 %
    base = nme_percent(
        bfm.landmarks(aflw_subset['params_img']).transpose(1, 2).numpy(),
        aflw['pts68'][aflw_subset['index']].transpose(0, 2, 1))
    assert base.mean() < 1.0
    assert nme.mean() <= 1.0
    assert nme.mean() < base.mean() + 0.15


V2_MODEL = dict(
    model_path='bfm/bfm_noneck_v3.pkl', layout='3ddfa_v2', convention='v2')


@pytest.mark.parametrize('convention', ['v1', 'v2'])
def test_flip_real_ground_truth(data_root, convention):
    """RandomFlip + FaceMirror on AFLW2000-3D ground truth, in either params
    convention: the flipped crop params reproduce the flipped crop landmarks
    up to the mirror's least-squares re-fit of shape and expression (about
    0.3 px mean over the 68 points in the 120 px crop)."""
    if convention == 'v1':
        model_cfg, flip = dict(), RandomFlip(prob=1.0)
    else:
        model_cfg = V2_MODEL
        flip = RandomFlip(prob=1.0, morphable_model=V2_MODEL,
                          vertex_ids='bfm/indices.npy')
    model = MorphableModel(param_stats=None, **model_cfg).double()
    dataset = AFLW2000Dataset(
        with_params=True, convention=convention,
        indices=list(range(0, 2000, 250)), pipeline=[LoadFaceImage()])
    crop = FaceCrop(scale_jitter=0.1, shift_jitter=0.05, rotate_jitter=20)
    np.random.seed(6)
    refit, to_gt, before_gt = [], [], []
    for i in range(len(dataset)):
        sample = crop(dataset[i])
        assert sample['params_convention'] == convention
        points = sample['gt_landmarks_3d'].astype(np.float64)
        own = model.landmarks(torch.from_numpy(
            sample['gt_params']).double()[None])[0].T.numpy()
        out = flip(dict(sample))
        # the flipped GT landmarks, written out: x -> 121 - x, relabelled
        expected = points[FLIP_INDICES_68] * [-1, 1, 1] + [AXIS, 0, 0]
        np.testing.assert_allclose(out['gt_landmarks_3d'], expected,
                                   atol=1e-4)
        flipped = model.landmarks(torch.from_numpy(
            out['gt_params']).double()[None])[0].T.numpy()
        own = own[FLIP_INDICES_68] * [-1, 1, 1] + [AXIS, 0, 0]
        refit.append(np.linalg.norm(flipped - own, axis=1).mean())
        to_gt.append(
            np.linalg.norm(flipped[:, :2] - expected[:, :2], axis=1).mean())
        before_gt.append(
            np.linalg.norm(own[:, :2] - expected[:, :2], axis=1).mean())
    refit, to_gt, before_gt = map(np.array, (refit, to_gt, before_gt))
    assert refit.mean() < 1.0 and refit.max() < 1.5
    # against the real annotation: about the fit's own truncation error
    assert to_gt.mean() < before_gt.mean() + 0.5
