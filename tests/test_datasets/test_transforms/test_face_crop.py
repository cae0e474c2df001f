"""FaceCrop on AFLW2000-3D with the released boxes, on synthetic images with
known content, and on boxes that leave the image."""
import cv2
import numpy as np
import pytest
import scipy.io as sio
import torch
from reference_formulas import rotation_matrices

from mmface3d.datasets import AFLW2000Dataset
from mmface3d.datasets.transforms import FaceCrop, LoadFaceImage
from mmface3d.datasets.transforms.face_data_error import FaceDataError

CROP = 120


def reference_crop(img, box):
    """Zero-pad, slice ``img[sy:ey, sx:ex]`` (0-based), cv2.resize."""
    sx, sy, ex, ey = (int(v) for v in np.round(box))
    pad = max(0, -sx, -sy, ex - img.shape[1], ey - img.shape[0])
    padded = np.pad(img, ((pad, pad), (pad, pad), (0, 0)))
    patch = padded[sy + pad:ey + pad, sx + pad:ex + pad]
    return cv2.resize(patch, (CROP, CROP), interpolation=cv2.INTER_LINEAR)


def aflw_sample(aflw, i):
    img = cv2.imread(str(aflw['img_dir'] / aflw['names'][i]))
    return dict(
        img=img,
        img_path=aflw['names'][i],
        roi_box=aflw['roi_box'][i].copy(),
        gt_landmarks_2d=aflw['pts68'][i, :2].T.copy(),
        gt_landmarks_3d=aflw['pts68'][i].T.copy())


def edge_and_spread_indices(aflw):
    """10 images spread over the list and 10 whose box touches the border."""
    box = aflw['roi_box']
    edge = np.nonzero((box[:, :2] <= 1).any(1) | (box[:, 2:] >= 450).any(1))
    return np.r_[np.arange(0, 2000, 200), edge[0][:10]]


def test_aflw_crop_equals_reference(aflw):
    for i in edge_and_spread_indices(aflw):
        sample = aflw_sample(aflw, i)
        img, box = sample['img'], sample['roi_box'].copy()
        out = FaceCrop()(sample)
        assert out['img'].shape == (CROP, CROP, 3)
        assert out['img_shape'] == (CROP, CROP)
        np.testing.assert_array_equal(out['img'], reference_crop(img, box))
        np.testing.assert_array_equal(out['roi_box'], box)
        # points: x_crop = (x - sx) * 120 / (ex - sx), same for y
        scale = CROP / (box[2:] - box[:2])
        pts = aflw['pts68'][i, :2].T
        np.testing.assert_allclose(out['gt_landmarks_2d'],
                                   (pts - box[:2]) * scale, rtol=1e-5)
        np.testing.assert_allclose(out['gt_landmarks_3d'][:, 2],
                                   aflw['pts68'][i, 2] * scale.mean(),
                                   rtol=1e-5)


def test_aflw_warp_path_matches_reference(aflw):
    """The jitter path (one warpAffine) with a negligible jitter reproduces
    the benchmark crop up to interpolation rounding."""
    np.random.seed(0)
    crop = FaceCrop(scale_jitter=1e-9)
    for i in edge_and_spread_indices(aflw)[::4]:
        sample = aflw_sample(aflw, i)
        reference = reference_crop(sample['img'], sample['roi_box'])
        diff = np.abs(crop(sample)['img'].astype(int) - reference)
        assert diff.mean() < 0.5 and diff.max() <= 3, i


def sample_bilinear(img, points):
    """Colours of (N, 2) continuous points (pixel j covers [j, j + 1))."""
    maps = (points - 0.5).astype(np.float32)
    return cv2.remap(img, maps[:, None, 0], maps[:, None, 1],
                     cv2.INTER_LINEAR)[:, 0].astype(np.float64)


@pytest.mark.parametrize('jitter', [
    dict(), dict(scale_jitter=0.2, shift_jitter=0.1, rotate_jitter=30)
])
def test_aflw_landmarks_land_on_image_content(aflw, jitter):
    """The crop's colour at a mapped landmark is the image's colour at the
    landmark, far more closely than a few pixels away."""
    np.random.seed(1)
    transform = FaceCrop(**jitter)
    at, off = [], []
    for i in np.arange(0, 2000, 100):
        sample = aflw_sample(aflw, i)
        # a mild blur stands in for the resize's loss of detail
        img = cv2.GaussianBlur(sample['img'], (0, 0), 1.5)
        sample['img'] = img
        pts = sample['gt_landmarks_2d'].copy()
        out = transform(sample)
        crop, mapped = out['img'], out['gt_landmarks_2d'].astype(np.float64)
        inside = ((pts > 1) & (pts < 449)).all(1)
        truth = sample_bilinear(img, pts[inside])
        at.append(np.abs(sample_bilinear(crop, mapped[inside]) - truth))
        off.append(np.abs(sample_bilinear(crop, mapped[inside] + 2) - truth))
    at, off = np.concatenate(at).mean(), np.concatenate(off).mean()
    assert at < 3 and at < 0.2 * off


def spot_image(centres, shape=(300, 260)):
    """Gaussian spots (sigma 2 px) centred at continuous points."""
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    img = np.zeros(shape)
    for x, y in centres:
        img += 250 * np.exp(-((xs - x)**2 + (ys - y)**2) / (2 * 2.0**2))
    return np.repeat(np.clip(img, 0, 255)[..., None], 3, 2).astype(np.uint8)


def spot_centroids(img, approx, radius=14):
    """Intensity centroids of the spots near (N, 2) approximate centres (the
    window re-centred on the centroid, so it does not bias it)."""
    ys, xs = np.mgrid[0:img.shape[0], 0:img.shape[1]] + 0.5
    weight = img[..., 0].astype(np.float64)
    out = []
    for x, y in approx:
        for _ in range(3):
            w = weight * ((xs - x)**2 + (ys - y)**2 <= radius**2)
            x, y = (w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()
        out.append([x, y])
    return np.array(out)


@pytest.mark.parametrize('jitter', [
    dict(), dict(scale_jitter=0.3, shift_jitter=0.1, rotate_jitter=45)
])
def test_points_follow_the_image_content(jitter):
    """Spots drawn at known points end up at the mapped points (crop larger
    than the source here, so the spots stay round)."""
    np.random.seed(2)
    centres = np.array([[100.3, 120.8], [150.5, 130.1], [125.0, 170.6],
                        [108.2, 160.9]])
    out = FaceCrop(**jitter)(dict(
        img=spot_image(centres),
        roi_box=np.array([90., 110., 170., 190.]),
        gt_landmarks_2d=centres))
    found = spot_centroids(out['img'], out['gt_landmarks_2d'])
    np.testing.assert_allclose(found, out['gt_landmarks_2d'], atol=0.1)


def test_box_partly_and_fully_outside():
    img = np.full((80, 100, 3), 200, np.uint8)
    img[:, 50:] = 50
    # the box leaves the image on the left (x < 0) and below (y >= 80)
    out = FaceCrop()(dict(img=img.copy(), roi_box=np.array([-60., 0, 60, 120]),
                          gt_landmarks_2d=np.array([[0., 0.], [60., 120.]])))
    crop = out['img']
    assert (crop[:, :58] == 0).all() and (crop[82:] == 0).all()
    # image column x lands on crop column x + 60
    assert (crop[:78, 62:108] == 200).all() and (crop[:78, 112:] == 50).all()
    np.testing.assert_allclose(out['gt_landmarks_2d'], [[60, 0], [120, 120]])
    # fully outside: refused by default (a benchmark image scored 904 %
    # with such a box); min_overlap=0 gives an all-zero crop, points
    # mapped, nothing NaN
    with pytest.raises(FaceDataError, match=r'0% of its area inside'):
        FaceCrop()(dict(img=img.copy(), roi_box=np.array([500., 500, 560,
                                                          560])))
    for jitter in (dict(), dict(rotate_jitter=20)):
        out = FaceCrop(min_overlap=0, **jitter)(dict(
            img=img.copy(), roi_box=np.array([500., 500, 560, 560]),
            gt_landmarks_2d=np.array([[530., 530.]])))
        assert (out['img'] == 0).all()
        assert np.isfinite(out['gt_landmarks_2d']).all()
        assert np.isfinite(out['crop_affine']).all()
        np.testing.assert_allclose(out['gt_landmarks_2d'], [[60, 60]],
                                   atol=1e-4)


@pytest.mark.parametrize('box,reason', [
    ([10., 10., 10., 50.], 'empty'),
    ([10., np.nan, 40., 50.], 'not finite'),
    ([0., 0., 1e6, 1e6], 'not a face box'),
    # a 50x50 image under a 316-pixel benchmark box: 2.5 % inside
    ([0., 0., 316., 316.], 'an image far smaller than its box'),
])
def test_bad_boxes_name_the_file(box, reason):
    with pytest.raises(FaceDataError, match=f'face.jpg.*{reason}'):
        FaceCrop()(dict(img=np.zeros((50, 50, 3), np.uint8),
                        roi_box=np.array(box), img_path='face.jpg'))
    with pytest.raises(FaceDataError, match='shape'):
        FaceCrop()(dict(img=np.zeros((50, 50, 3), np.uint8),
                        roi_box=np.zeros(3), img_path='face.jpg'))


def test_box_from_landmarks_is_the_released_box(aflw):
    for i in (0, 7, 1081):
        sample = aflw_sample(aflw, i)
        released = sample.pop('roi_box')
        out = FaceCrop(box_source='landmarks')(sample)
        np.testing.assert_array_equal(out['roi_box'], released)
    with pytest.raises(KeyError, match='gt_landmarks_2d'):
        FaceCrop(box_source='landmarks')(dict(img=np.zeros((9, 9, 3))))


@pytest.mark.parametrize('jitter', [
    dict(), dict(scale_jitter=0.2, shift_jitter=0.1, rotate_jitter=40)
])
def test_params_follow_the_crop(bfm, aflw, aflw_subset, jitter):
    """The landmarks of the crop params FaceCrop derives from
    ``gt_params_img`` are the image landmarks of those params mapped like
    every other point, for square and non-square (border-clipped) boxes."""
    np.random.seed(3)
    boxes = aflw['roi_box'][aflw_subset['index']].astype(np.float64)
    boxes[1] = [100, 90, 300, 340]  # non-square
    params_img = aflw_subset['params_img']
    pts = bfm.landmarks(params_img).transpose(1, 2).numpy()
    transform = FaceCrop(**jitter)
    for k in range(len(boxes)):
        out = transform(dict(
            img=np.zeros((450, 450, 3), np.uint8), roi_box=boxes[k].copy(),
            gt_params_img=params_img[k].numpy().astype(np.float32),
            params_convention='v1', gt_landmarks_3d=pts[k]))
        new = torch.from_numpy(out['gt_params']).double()[None]
        assert out['gt_params'].dtype == np.float32
        np.testing.assert_allclose(
            bfm.landmarks(new)[0].T.numpy(), out['gt_landmarks_3d'],
            atol=2e-3)
        if not jitter and k != 1:
            # the released box: the crop frame of fit_to_params
            np.testing.assert_allclose(
                out['gt_params'], aflw_subset['params'][k].numpy(),
                rtol=1e-5, atol=1e-4)


def reference_crop_params(mat, box, height=450.0):
    """The v1 crop params of a fit for the box crop, written out from
    REFERENCE.md section 3 (per-axis scales)."""
    pitch, yaw, roll, tx, ty, tz, f = mat['Pose_Para'].ravel()[:7]
    sx, sy, ex, ey = box
    s_x, s_y = 120 / (ex - sx), 120 / (ey - sy)
    s_z = (s_x + s_y) / 2
    camera = f * rotation_matrices(pitch, yaw, roll) * np.array(
        [[s_x], [s_y], [s_z]])
    t = [s_x * (tx - sx), s_y * ty + 121 - s_y * (height + 1 - sy), s_z * tz]
    return np.concatenate([
        np.concatenate([camera, np.array(t)[:, None]], 1).ravel(),
        mat['Shape_Para'].ravel()[:40], mat['Exp_Para'].ravel()[:10]])


# spread over the list; 109 has a non-square (border-clipped) released box,
# 1081 is one of the two images FAN failed on
REAL_ROWS = [0, 109, 700, 1081, 1500]


@pytest.fixture(scope='module')
def aflw_with_params(data_root):
    dataset = AFLW2000Dataset(
        with_params=True, indices=REAL_ROWS, pipeline=[LoadFaceImage()])
    return [dataset[i] for i in range(len(dataset))]


@pytest.mark.parametrize('jitter', [
    dict(), dict(scale_jitter=0.2, shift_jitter=0.15, rotate_jitter=45)
])
def test_crop_params_of_real_ground_truth(bfm, aflw_with_params, jitter,
                                          nme_percent):
    """AFLW2000-3D with ``with_params=True``: the crop's ``gt_params`` fit
    the crop's ``gt_landmarks_3d`` exactly as well as ``gt_params_img`` fit
    ``pt3d_68`` in the image. The residual of every landmark is the image
    residual carried by the crop affine (to well under a pixel), so the crop
    adds nothing to the 40 + 10 truncation error."""
    np.random.seed(5)
    transform = FaceCrop(**jitter)
    crop_err, img_err = [], []
    for sample in aflw_with_params:
        assert sample['params_convention'] == 'v1'
        pts68 = sample['gt_landmarks_3d'].astype(np.float64)
        out = transform(dict(sample, gt_landmarks_3d=pts68.copy()))
        affine = out['crop_affine'].astype(np.float64)
        # gt_landmarks_3d mapped by the crop affine, written out here
        linear = affine[:, :2]
        z_scale = np.linalg.norm(linear, axis=1).mean()
        mapped = np.concatenate([pts68[:, :2] @ linear.T + affine[:, 2],
                                 pts68[:, 2:] * z_scale], 1)
        np.testing.assert_allclose(out['gt_landmarks_3d'], mapped, atol=1e-3)

        crop = bfm.landmarks(
            torch.from_numpy(out['gt_params']).double()[None])[0].T.numpy()
        image = bfm.landmarks(
            torch.from_numpy(sample['gt_params_img']).double()[None]
        )[0].T.numpy()
        residual = image - pts68
        carried = np.concatenate([residual[:, :2] @ linear.T,
                                  residual[:, 2:] * z_scale], 1)
        np.testing.assert_allclose(crop - mapped, carried, atol=1e-2)
        crop_err.append(
            np.linalg.norm(crop[:, :2] - mapped[:, :2], axis=1).mean())
        img_err.append(nme_percent(image[None], pts68[None])[0])
    if not jitter:
        # the crop of the released box: the frame of REFERENCE section 3
        for sample in aflw_with_params:
            mat = sio.loadmat(sample['img_path'].replace('.jpg', '.mat'))
            out = transform(dict(sample))
            np.testing.assert_allclose(
                out['gt_params'],
                reference_crop_params(mat, sample['roi_box']),
                rtol=1e-4, atol=1e-3)
    # the truncation floor itself: ~0.9 % NME over all 2000 images (2.3 %
    # on image 1081), about 0.8 px on average in these crops
    assert np.mean(img_err) < 1.5 and np.mean(crop_err) < 1.5


def test_params_need_their_convention():
    sample = dict(img=np.zeros((60, 60, 3), np.uint8), img_path='p.jpg',
                  roi_box=np.array([0., 0., 60., 60.]),
                  gt_params_img=np.zeros(62, np.float32))
    with pytest.raises(KeyError, match=r'p\.jpg.*params_convention'):
        FaceCrop()(dict(sample))
    with pytest.raises(ValueError, match='convention'):
        FaceCrop()(dict(sample, params_convention='v3'))
    # without params there is nothing to convert and no convention needed
    del sample['gt_params_img']
    assert 'gt_params' not in FaceCrop()(sample)


def test_arguments_and_repr():
    with pytest.raises(ValueError, match='area'):
        FaceCrop(interpolation='area', rotate_jitter=5)
    with pytest.raises(ValueError, match='box_source'):
        FaceCrop(box_source='detector')
    with pytest.raises(ValueError, match='interpolation'):
        FaceCrop(interpolation='cubic-ish')
    with pytest.raises(ValueError, match='jitter'):
        FaceCrop(scale_jitter=1.5)
    assert repr(FaceCrop(rotate_jitter=10)).startswith(
        "FaceCrop(crop_size=120, box_source='roi_box'")
    img = np.zeros((60, 60, 3), np.uint8)
    out = FaceCrop(interpolation='area')(
        dict(img=img, roi_box=np.array([0, 0, 60, 60])))
    assert out['img'].shape == (120, 120, 3)


def test_benchmark_points_with_hidden_rows():
    """K-point ground truth (21 here) maps like any points; hidden rows stay
    0 and ``gt_bbox`` (image pixels, as the metrics read it) is carried."""
    rng = np.random.default_rng(5)
    pts21 = rng.uniform(120, 280, (21, 2)).astype(np.float32)
    visible = np.ones(21, bool)
    visible[[12, 16, 20]] = False
    pts21[~visible] = 0
    input68 = rng.uniform(120, 280, (68, 2)).astype(np.float32)
    input_visible = np.zeros(68, bool)
    input_visible[[17, 19, 30, 37, 40]] = True
    input68[~input_visible] = 0
    bbox = np.array([130., 140., 270., 275.], np.float32)
    out = FaceCrop()(dict(
        img=np.zeros((400, 400, 3), np.uint8),
        roi_box=np.array([100., 100., 300., 300.]),
        gt_landmarks_2d=pts21.copy(), gt_landmarks_visible=visible.copy(),
        gt_bbox=bbox.copy(), landmarks_2d_input=input68.copy(),
        landmarks_2d_input_visible=input_visible.copy()))
    # x_crop = (x - 100) * 120 / 200
    np.testing.assert_allclose(out['gt_landmarks_2d'][visible],
                               (pts21[visible] - 100) * 0.6, rtol=1e-6)
    assert (out['gt_landmarks_2d'][~visible] == 0).all()
    np.testing.assert_allclose(out['landmarks_2d_input'][input_visible],
                               (input68[input_visible] - 100) * 0.6,
                               rtol=1e-6)
    assert (out['landmarks_2d_input'][~input_visible] == 0).all()
    np.testing.assert_array_equal(out['gt_bbox'], bbox)
    np.testing.assert_array_equal(out['gt_landmarks_visible'], visible)
    np.testing.assert_array_equal(out['landmarks_2d_input_visible'],
                                  input_visible)


def test_box_from_visible_landmarks_only():
    """The benchmark rule on the visible points (100..200 square): centre
    150, side sqrt(2) * 100 = 141.42, start round(79.29) = 79, end 79 +
    round(141.42) = 220; the hidden rows at 0 do not count."""
    pts = np.zeros((34, 2))
    visible = np.zeros(34, bool)
    pts[:4] = [[100, 100], [200, 100], [100, 200], [200, 200]]
    visible[:4] = True
    out = FaceCrop(box_source='landmarks')(dict(
        img=np.zeros((400, 400, 3), np.uint8), gt_landmarks_2d=pts,
        gt_landmarks_visible=visible))
    np.testing.assert_array_equal(out['roi_box'], [79, 79, 220, 220])
    with pytest.raises(FaceDataError, match='a.jpg.*no visible point'):
        FaceCrop(box_source='landmarks')(dict(
            img=np.zeros((400, 400, 3), np.uint8), gt_landmarks_2d=pts,
            gt_landmarks_visible=np.zeros(34, bool), img_path='a.jpg'))


def test_unusable_benchmark_inputs(aflw):
    """A released box moved off its image, and an image replaced by a 1x1
    one (they scored 904 % and 34 % NME before): refused, named."""
    sample = aflw_sample(aflw, 3)
    sample['roi_box'] = sample['roi_box'] + 1000
    box = sample['roi_box'].tolist()
    with pytest.raises(FaceDataError) as info:
        FaceCrop()(sample)
    assert info.value.path == aflw['names'][3]
    assert info.value.reason.startswith(
        f'roi_box {box} has 0% of its area inside the 450x450 image')
    sample = aflw_sample(aflw, 10)
    sample['img'] = np.full((1, 1, 3), 128, np.uint8)
    with pytest.raises(FaceDataError, match='inside the 1x1 image.*an image '
                       'far smaller than its box'):
        FaceCrop()(sample)


def test_every_released_box_overlaps_its_image(aflw):
    """The 25 % rule leaves every AFLW2000-3D image in: the released boxes
    have at least half their area inside the 450x450 images."""
    box = aflw['roi_box']
    inside = (np.minimum(box[:, 2:], 450) - np.maximum(box[:, :2], 0)).prod(1)
    fraction = inside / (box[:, 2:] - box[:, :2]).prod(1)
    assert fraction.min() > 0.5
    worst = int(fraction.argmin())
    out = FaceCrop()(aflw_sample(aflw, worst))
    assert out['img'].shape == (CROP, CROP, 3)
