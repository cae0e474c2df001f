"""MorphableModel on the real BFM arrays and the full AFLW2000-3D set: the
ground-truth round trip, decoding through crop affines (plain, rotated and
mirrored crops), and the checks on its inputs."""
import copy

import numpy as np
import pytest
import scipy.io as sio
import torch
from reference_formulas import rotation_matrices

from mmface3d.morphable import (FLIP_INDICES_68, MorphableModel, box_affine,
                                compose_affine, fit_to_params, flip_affine,
                                get_face_mirror, load_fit_mat,
                                transform_params)

IMG_HEIGHT = 450.0
V2 = dict(
    model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2',
    param_stats='bfm/param_mean_std_62d_120x120.pkl',
    convention='v2')
# 50 images spread over the list (not 1902, the fit with f < 0)
SLICE = np.arange(0, 2000, 40)
# mirror of 1-based v1 crop points: pixel centre j + 1 -> 120 - j
AXIS = 121.0


@pytest.fixture(scope='module')
def bfm_noneck(data_root):
    """The 3DDFA_V2 no-neck model (v2 convention) in float64."""
    return MorphableModel(**V2).double()


@pytest.fixture(scope='module')
def bfm32(data_root):
    """The 3DDFA BFM in float32, as networks use it."""
    return MorphableModel()


def fit_params(aflw, index=slice(None), convention='v1', boxes=True):
    """GT params of the fits ``index``: in the crop frame of the released
    boxes, or in the image frame with ``boxes=False``."""
    return fit_to_params(
        aflw['pose_para'][index],
        aflw['shape_para'][index],
        aflw['exp_para'][index],
        IMG_HEIGHT,
        roi_box=torch.from_numpy(aflw['roi_box'][index]) if boxes else None,
        convention=convention)


def bbox_nme(pred, gt):
    """(B,) mean 2D point error of (B, K, 2) points over sqrt(w * h) of the
    GT bbox, in percent."""
    size = gt.max(1) - gt.min(1)
    err = np.linalg.norm(pred - gt, axis=2).mean(1)
    return 100 * err / np.sqrt(size.prod(1))


def rotated_box_affine(boxes, degrees):
    """(B, 2, 3) affines: the box crop, then a rotation by ``degrees`` about
    the crop centre (60, 60), ``q' = R (q - c) + c`` with
    ``R = [[cos, -sin], [sin, cos]]`` in pixel axes (y down)."""
    boxes = np.asarray(boxes, np.float64)
    scale = 120.0 / (boxes[:, 2:] - boxes[:, :2])
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    centre = np.array([60.0, 60.0])
    linear = rot[None] * scale[:, None, :]  # R @ diag(s_x, s_y)
    shift = -(rot @ (scale * boxes[:, :2]).T).T + centre - rot @ centre
    return torch.from_numpy(np.concatenate([linear, shift[..., None]], 2))


def mirrored_box_affine(boxes):
    """(B, 2, 3) affines: the box crop, then the mirror ``x -> AXIS - x``
    of its 1-based v1 points."""
    sx, sy, ex, ey = boxes.double().unbind(1)
    s_x, s_y = 120 / (ex - sx), 120 / (ey - sy)
    zero = torch.zeros_like(s_x)
    return torch.stack([-s_x, zero, AXIS + s_x * sx, zero, s_y, -s_y * sy],
                       1).view(-1, 2, 3)


def wrap_degrees(angles):
    return (angles + 180.0) % 360.0 - 180.0


# ---------------------------------------------------------------------------
# ground truth: the round trip and the per-axis frame (REFERENCE section 3)


@pytest.mark.parametrize('which', ['v1_full', 'v2_noneck'])
def test_round_trip_aflw2000(aflw, bfm, bfm_noneck, which, device):
    """All 2000 fits into the crops of the released boxes and back: 40 + 10
    components reproduce pt3d_68 at 0.880 % NME (worst image 2.61 %)."""
    model, convention = (bfm, 'v1') if which == 'v1_full' else (bfm_noneck,
                                                                'v2')
    model = copy.deepcopy(model).to(device)
    params = fit_params(aflw, convention=convention).to(device)
    crop_affine = box_affine(torch.from_numpy(aflw['roi_box']).to(device))
    landmarks = model.image_landmarks(params, crop_affine)
    assert landmarks.shape == (2000, 68, 3)
    gt = aflw['pts68'][:, :2].transpose(0, 2, 1)
    nme = bbox_nme(landmarks[..., :2].cpu().numpy(), gt)
    assert nme.mean() == pytest.approx(0.880, abs=0.001)
    assert nme.max() == pytest.approx(2.61, abs=0.005)


@pytest.mark.parametrize('convention', ['v1', 'v2'])
def test_fit_to_params_is_the_per_axis_formula(aflw, convention):
    """The crop params of a box are the REFERENCE formula with per-axis
    scales, on the released boxes, 54 of which are not square."""
    boxes = aflw['roi_box']
    assert ((boxes[:, 2] - boxes[:, 0]) != (boxes[:, 3] - boxes[:, 1])).sum(
    ) == 54
    pose = aflw['pose_para'].numpy()
    sx, sy, ex, ey = boxes.T
    s_x, s_y = 120 / (ex - sx), 120 / (ey - sy)
    s_z = (s_x + s_y) / 2
    f_rot = pose[:, 6, None, None] * rotation_matrices(*pose[:, :3].T)
    tx, ty, tz = pose[:, 3:6].T
    camera = np.concatenate([
        f_rot * np.stack([s_x, s_y, s_z], 1)[:, :, None],
        np.stack([
            s_x * (tx - sx), s_y * ty + 121 - s_y * (IMG_HEIGHT + 1 - sy),
            s_z * tz
        ], 1)[:, :, None]
    ], 2)
    if convention == 'v2':
        # v2 projects x - 1 and 120 - y where v1 projects x and 121 - y
        camera[:, :, 3] += [1.0, -1.0, 0.0]
    params = fit_params(aflw, convention=convention).numpy()
    assert params.shape == (2000, 62)
    np.testing.assert_allclose(
        params[:, :12].reshape(-1, 3, 4), camera, rtol=1e-10, atol=1e-8)
    np.testing.assert_array_equal(params[:, 12:52],
                                  aflw['shape_para'][:, :40].numpy())
    np.testing.assert_array_equal(params[:, 52:],
                                  aflw['exp_para'][:, :10].numpy())


def test_image_frame_params_project_where_box_params_map_back(aflw, bfm):
    """roi_box=None gives params that project straight into the image, onto
    the points that the box-frame params map back to."""
    image = bfm.landmarks(fit_params(aflw, boxes=False)).transpose(1, 2)
    boxes = torch.from_numpy(aflw['roi_box'])
    back = bfm.image_landmarks(fit_params(aflw), box_affine(boxes))
    torch.testing.assert_close(back[..., :2], image[..., :2], rtol=0,
                               atol=1e-6)
    # Depth goes into the crop by s_z = (s_x + s_y) / 2 and back by the mean
    # of the inverse scales: exact for square boxes only.
    size = (boxes[:, 2:] - boxes[:, :2]) / 120
    depth_gain = (1 / size).mean(1) * size.mean(1)
    torch.testing.assert_close(back[..., 2],
                               image[..., 2] * depth_gain[:, None],
                               rtol=0, atol=1e-6)
    assert ((depth_gain - 1).abs() > 1e-12).sum() == 54


# ---------------------------------------------------------------------------
# decoding through crop affines


@pytest.fixture(scope='module')
def faces(aflw):
    """A slice of AFLW2000-3D: image-frame params, released-box params and
    the box affines."""
    boxes = torch.from_numpy(aflw['roi_box'][SLICE])
    return dict(
        image=fit_params(aflw, SLICE, boxes=False),
        box=fit_params(aflw, SLICE),
        boxes=boxes,
        box_affine=box_affine(boxes),
        pose_para=aflw['pose_para'][SLICE])


def test_plain_box_pose_is_the_fit_pose(bfm, faces):
    """[yaw, pitch, roll] of box params in their image are those of the
    image-frame params and of the fit's own angles (all inside +-90 here).
    """
    pose = bfm.image_pose(faces['box'], faces['box_affine'])
    assert pose.shape == (len(SLICE), 3)
    torch.testing.assert_close(pose, bfm.pose(faces['image']), rtol=0,
                               atol=1e-3)
    angles = np.degrees(faces['pose_para'][:, [1, 0, 2]].numpy())
    assert np.abs(angles).max() < 90
    np.testing.assert_allclose(pose.numpy(), angles, rtol=0, atol=1e-3)


def test_rotated_crop_decodes_to_the_same_face(bfm, faces):
    """Crop params of a crop rotated by 10 degrees (what a network predicts
    there) come back onto the same image landmarks and pose."""
    rotated = rotated_box_affine(faces['boxes'].numpy(), 10.0)
    params = transform_params(faces['image'], rotated)
    image_params, mirrored = bfm.image_params(params, rotated)
    assert not mirrored.any()
    expected = bfm.image_landmarks(faces['box'], faces['box_affine'])
    landmarks = bfm.image_landmarks(params, rotated)
    torch.testing.assert_close(landmarks[..., :2], expected[..., :2],
                               rtol=0, atol=1e-3)
    direct = bfm.landmarks(faces['image']).transpose(1, 2)
    torch.testing.assert_close(landmarks[..., :2], direct[..., :2], rtol=0,
                               atol=1e-3)
    # a rotated non-square crop is not a similarity, so z is exact on the
    # square boxes only
    box = faces['boxes']
    square = (box[:, 2] - box[:, 0]) == (box[:, 3] - box[:, 1])
    assert square.sum() > 40
    torch.testing.assert_close(landmarks[square], expected[square], rtol=0,
                               atol=1e-3)
    torch.testing.assert_close(image_params[square], faces['image'][square],
                               rtol=1e-9, atol=1e-9)

    # image_pose undoes the rotation; the crop-frame pose is turned by it
    image_pose = bfm.image_pose(params, rotated)
    torch.testing.assert_close(image_pose, bfm.pose(faces['image']),
                               rtol=0, atol=1e-3)
    # On a square box the crop map is a similarity and the pixel rotation
    # [[c, -s], [s, c]] (y down) is Rz(10 deg) of REFERENCE section 3 in
    # the model's y-up axes: R_crop = Rz(10 deg) R_image.
    crop_pose = np.radians(bfm.pose(params[square]).numpy())
    img_pose = np.radians(image_pose[square].numpy())
    zeros = np.zeros(len(crop_pose))
    turn = rotation_matrices(zeros, zeros,
                             np.full(len(crop_pose), np.radians(10.0)))
    np.testing.assert_allclose(
        rotation_matrices(crop_pose[:, 1], crop_pose[:, 0], crop_pose[:, 2]),
        turn @ rotation_matrices(img_pose[:, 1], img_pose[:, 0],
                                 img_pose[:, 2]),
        rtol=0, atol=1e-8)


def test_rotated_crop_of_an_upright_face_adds_to_the_roll(bfm, faces):
    """With pitch = yaw = 0 a crop rotation (of a square box, so the crop
    map is a similarity) is a pure roll: the crop pose rolls by +10
    degrees, the image pose keeps the fit's roll."""
    pose_para = faces['pose_para'].clone()
    pose_para[:, :2] = 0
    roll = np.degrees(pose_para[:, 2].numpy())
    image = fit_to_params(pose_para, faces['image'][:, 12:52],
                          faces['image'][:, 52:], IMG_HEIGHT)
    boxes = faces['boxes'].numpy().copy()
    boxes[:, 3] = boxes[:, 1] + boxes[:, 2] - boxes[:, 0]
    rotated = rotated_box_affine(boxes, 10.0)
    params = transform_params(image, rotated)
    crop_pose = bfm.pose(params).numpy()
    np.testing.assert_allclose(crop_pose[:, :2], 0, atol=1e-6)
    np.testing.assert_allclose(
        wrap_degrees(crop_pose[:, 2] - roll), 10.0, rtol=0, atol=1e-3)
    image_pose = bfm.image_pose(params, rotated).numpy()
    np.testing.assert_allclose(image_pose[:, :2], 0, atol=1e-6)
    np.testing.assert_allclose(
        wrap_degrees(image_pose[:, 2] - roll), 0.0, rtol=0, atol=1e-3)


def test_mirrored_crop_prediction_comes_back_unmirrored(bfm, faces):
    """A flipped crop with FaceMirror params (a proper camera, as a network
    predicts it) decodes to the original face: 68-point order restored, yaw
    and roll not negated."""
    axis = torch.full((len(SLICE), ), AXIS, dtype=torch.float64)
    mirrored_affine = compose_affine(flip_affine(axis), faces['box_affine'])
    torch.testing.assert_close(mirrored_affine,
                               mirrored_box_affine(faces['boxes']))
    params = get_face_mirror({})(faces['box'], axis)
    assert (torch.linalg.det(params[:, :12].view(-1, 3, 4)[:, :, :3]) >
            0).all()
    _, mirrored = bfm.image_params(params, mirrored_affine)
    assert mirrored.all()

    expected = bfm.image_landmarks(faces['box'], faces['box_affine'])
    landmarks = bfm.image_landmarks(params, mirrored_affine)
    # errors in crop pixels: the mirror re-fit of shape and expression
    crop_px = ((faces['boxes'][:, 2] - faces['boxes'][:, 0]) / 120)[:, None]
    err = (landmarks - expected)[..., :2].norm(dim=2) / crop_px
    assert err.mean() < 0.4 and err.max() < 2.0
    unordered = landmarks[:, FLIP_INDICES_68]
    err = (unordered - expected)[..., :2].norm(dim=2) / crop_px
    assert err.mean() > 10

    pose = bfm.image_pose(params, mirrored_affine)
    original = bfm.image_pose(faces['box'], faces['box_affine'])
    torch.testing.assert_close(pose, original, rtol=0, atol=1.0)
    big = original[:, [0, 2]].abs() > 5
    assert big.sum() > 10
    assert (torch.sign(pose[:, [0, 2]]) == torch.sign(
        original[:, [0, 2]]))[big].all()


def test_exact_improper_params_are_not_mirrored(bfm, faces, aflw):
    """The exact image of the face through the mirror (an improper camera)
    is the same face: not re-ordered, not unmirrored."""
    axis = torch.full((len(SLICE), ), AXIS, dtype=torch.float64)
    mirrored_affine = mirrored_box_affine(faces['boxes'])
    params = transform_params(faces['box'], flip_affine(axis))
    assert (torch.linalg.det(params[:, :12].view(-1, 3, 4)[:, :, :3]) <
            0).all()
    _, mirrored = bfm.image_params(params, mirrored_affine)
    assert not mirrored.any()
    expected = bfm.image_landmarks(faces['box'], faces['box_affine'])
    torch.testing.assert_close(
        bfm.image_landmarks(params, mirrored_affine)[..., :2],
        expected[..., :2], rtol=0, atol=1e-6)
    torch.testing.assert_close(
        bfm.image_pose(params, mirrored_affine),
        bfm.image_pose(faces['box'], faces['box_affine']), rtol=0, atol=1e-6)
    # the one known exception: image 1902's fit has f < 0, so its exact
    # mirror image has a proper camera and reads as a mirrored prediction
    index = [0, 1902]
    flipped = mirrored_box_affine(torch.from_numpy(aflw['roi_box'][index]))
    params = transform_params(fit_params(aflw, index),
                              flip_affine(axis[:2]))
    assert bfm.image_params(params, flipped)[1].tolist() == [False, True]


def test_crop_to_image_scales(bfm32):
    """Box [10, 20, 250, 140]: x = 2 q_x + 10, y = q_y + 20, z = 1.5 z."""
    points = torch.tensor([[[0.0, 120.0], [0.0, 60.0], [10.0, 20.0]]])
    affine = torch.tensor([[[0.5, 0.0, -5.0], [0.0, 1.0, -20.0]]])
    out = bfm32.crop_to_image(points, affine)[0]
    torch.testing.assert_close(out, torch.tensor([[10.0, 250.0],
                                                  [20.0, 80.0],
                                                  [15.0, 30.0]]))
    # a crop turned by 90 degrees: q = (y, -x) + (0, 120) in pixel axes,
    # so p = (120 - q_y, q_x)
    turned = torch.tensor([[[0.0, 1.0, 0.0], [-1.0, 0.0, 120.0]]])
    out = bfm32.crop_to_image(points, turned)[0]
    torch.testing.assert_close(out, torch.tensor([[120.0, 60.0],
                                                  [0.0, 120.0],
                                                  [10.0, 20.0]]))
    shifted = MorphableModel(convention='v2').crop_to_image(points, affine)
    torch.testing.assert_close(shifted[0, 2], torch.tensor([0.0, 15.0]))
    with pytest.raises(ValueError, match=r'\(1, 2, 3\)'):
        bfm32.crop_to_image(points, torch.tensor([[10.0, 20, 250, 140]]))


# ---------------------------------------------------------------------------
# the model itself


def test_noneck_model_gives_same_landmarks(aflw, bfm, bfm_noneck):
    index = SLICE
    affine = box_affine(torch.from_numpy(aflw['roi_box'][index]))
    full = bfm.image_landmarks(fit_params(aflw, index), affine)
    sub = bfm_noneck.image_landmarks(
        fit_params(aflw, index, convention='v2'), affine)
    torch.testing.assert_close(sub[..., :2], full[..., :2], rtol=0,
                               atol=1e-3)


def test_noneck_is_the_indexed_full_model(bfm, bfm_noneck, data_root):
    indices = np.load(data_root / 'bfm/indices.npy')
    rows = (3 * indices[:, None] + np.arange(3)).reshape(-1)
    np.testing.assert_allclose(
        bfm_noneck.u.numpy(), bfm.u.numpy()[rows], rtol=1e-6, atol=1e-2)
    np.testing.assert_allclose(
        bfm_noneck.w.numpy(), bfm.w.numpy()[rows], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('stats', ['bfm/param_whitening.pkl',
                                   'bfm/param_mean_std_62d_120x120.pkl'])
def test_whitening_round_trip(aflw, stats, device):
    model = MorphableModel(param_stats=stats).to(device)
    params = fit_params(aflw).float().to(device)
    white = model.whiten(params)
    # Whitened GT params are O(1): the stats describe this distribution.
    assert white.abs().median() < 3
    # Exact to float32: within a few ulp of the magnitudes involved.
    err = (model.dewhiten(white) - params).abs()
    ulp = torch.finfo(torch.float32).eps * (
        params.abs() + model.param_mean.abs())
    assert (err <= 4 * ulp).all()


def test_float64_matches_float32(aflw, bfm, bfm32, device):
    params = fit_params(aflw, slice(0, 16)).to(device)
    dense32 = copy.deepcopy(bfm32).to(device).reconstruct(
        params.float()).double()
    dense64 = copy.deepcopy(bfm).to(device).reconstruct(params)
    rel = (dense32 - dense64).abs().max() / dense64.abs().max()
    assert rel < 1e-4


def test_landmarks_are_dense_keypoint_vertices(aflw, bfm32, device):
    model = copy.deepcopy(bfm32).to(device)
    params = fit_params(aflw, slice(0, 8)).float().to(device)
    dense = model.reconstruct(params)
    torch.testing.assert_close(
        model.landmarks(params), dense[:, :, model.keypoints],
        rtol=0, atol=1e-3)


def test_vertex_subset_is_the_dense_mesh_indexed(aflw, bfm32, device):
    model = copy.deepcopy(bfm32).to(device)
    params = fit_params(aflw, slice(0, 4)).float().to(device)
    ids = torch.tensor([0, 7, 50, 53214], device=device)
    torch.testing.assert_close(
        model.reconstruct(params, ids), model.reconstruct(params)[:, :, ids])


def test_projection_conventions_on_known_camera(bfm32):
    # Identity camera, zero coefficients: the crop points are the mean
    # shape, flipped as each convention says (REFERENCE section 2).
    params = torch.zeros(1, 62)
    params[0, [0, 5, 10]] = 1.0
    mean = bfm32.u_kp.view(-1, 3).T
    v1 = bfm32.landmarks(params)[0]
    torch.testing.assert_close(v1[0], mean[0])
    torch.testing.assert_close(v1[1], 121 - mean[1])
    torch.testing.assert_close(v1[2], mean[2])
    v2 = MorphableModel(convention='v2').landmarks(params)[0]
    torch.testing.assert_close(v2[0], mean[0] - 1)
    torch.testing.assert_close(v2[1], 120 - mean[1])


def test_mesh_cfg_rebuilds_the_model(bfm_noneck):
    cfg = bfm_noneck.mesh_cfg
    assert cfg['type'] == 'MorphableModel' and cfg['param_stats'] is None
    assert (cfg['model_path'], cfg['layout'], cfg['convention']) == (
        V2['model_path'], V2['layout'], 'v2')
    rebuilt = MorphableModel(**{k: v for k, v in cfg.items() if k != 'type'})
    params = torch.zeros(1, 62)
    params[0, [0, 5, 10]] = 0.001
    torch.testing.assert_close(
        rebuilt.reconstruct(params),
        copy.deepcopy(bfm_noneck).float().reconstruct(params))


def test_check_params_errors(bfm32):
    params = np.zeros((2, 62), np.float32)
    with pytest.raises(TypeError, match=r'ndarray of shape \(2, 62\).*'
                       r'torch\.as_tensor'):
        bfm32.landmarks(params)
    with pytest.raises(TypeError, match=r'ndarray of shape \(2, 62\)'):
        bfm32.image_landmarks(params, torch.zeros(2, 2, 3))
    with pytest.raises(TypeError,
                       match=r'torch\.float64.*torch\.float32'):
        bfm32.landmarks(torch.zeros(2, 62, dtype=torch.float64))
    with pytest.raises(TypeError, match=r'torch\.float64.*torch\.float32'):
        bfm32.pose(torch.zeros(2, 62, dtype=torch.float64))
    with pytest.raises(ValueError, match=r'\(B, 62\).*\(2, 60\)'):
        bfm32.landmarks(torch.zeros(2, 60))
    with pytest.raises(ValueError, match=r'\(B, 62\)'):
        bfm32.dewhiten(torch.zeros(62))
    small = MorphableModel(n_shape=10, n_exp=5)
    assert small.num_params == 27
    assert small.landmarks(torch.zeros(3, 27)).shape == (3, 3, 68)
    with pytest.raises(ValueError, match=r'\(B, 27\)'):
        small.reconstruct(torch.zeros(3, 62))


def test_whitening_needs_param_stats():
    model = MorphableModel(param_stats=None)
    with pytest.raises(ValueError, match='param_stats=None'):
        model.whiten(torch.zeros(1, 62))


def write_tiny_bfm(root, num_vertices=80, w_shp_cols=40):
    rng = np.random.default_rng(0)
    rows = 3 * num_vertices
    np.save(root / 'u_shp.npy', rng.normal(size=(rows, 1)).astype('f4'))
    np.save(root / 'u_exp.npy', np.zeros((rows, 1), 'f4'))
    np.save(root / 'w_shp_sim.npy',
            rng.normal(size=(rows, w_shp_cols)).astype('f4'))
    np.save(root / 'w_exp_sim.npy', rng.normal(size=(rows, 10)).astype('f4'))
    np.save(root / 'keypoints_sim.npy', np.arange(204))
    sio.savemat(root / 'tri.mat',
                {'tri': np.array([[1, 2], [2, 3], [3, 4]], np.uint16)})


def test_bad_bfm_inputs(tmp_path, data_root):
    with pytest.raises(FileNotFoundError, match='missing does not exist'):
        MorphableModel(model_path=str(tmp_path / 'missing'))
    (tmp_path / 'partial').mkdir()
    with pytest.raises(FileNotFoundError, match='partial/u_shp.npy'):
        MorphableModel(model_path=str(tmp_path / 'partial'))
    write_tiny_bfm(tmp_path, w_shp_cols=12)
    with pytest.raises(ValueError, match=r'w_shp.*\(240, 12\).*\(240, >=40\)'):
        MorphableModel(model_path=str(tmp_path))
    with pytest.raises(ValueError, match='layout'):
        MorphableModel(layout='bfm2017')
    with pytest.raises(ValueError, match='convention'):
        MorphableModel(convention='v3')


def test_tiny_bfm_loads_and_moves(tmp_path, data_root, device):
    write_tiny_bfm(tmp_path)
    model = MorphableModel(model_path=str(tmp_path)).to(device)
    assert model.num_vertices == 80
    assert model.tri.tolist() == [[0, 1, 2], [1, 2, 3]]
    assert model.u.device.type == device.type
    # Buffers are not persistent: checkpoints do not carry the BFM.
    assert model.state_dict() == {}


def test_fit_mat_errors(tmp_path):
    path = tmp_path / 'broken.mat'
    sio.savemat(path, {'Shape_Para': np.zeros((199, 1)),
                       'Exp_Para': np.zeros((29, 1))})
    with pytest.raises(ValueError, match=r'broken.mat.*Pose_Para.*\(1, 7\)'):
        load_fit_mat(path)
    sio.savemat(path, {'Pose_Para': np.zeros((1, 5)),
                       'Shape_Para': np.zeros((199, 1)),
                       'Exp_Para': np.zeros((29, 1))})
    with pytest.raises(ValueError, match=r'Pose_Para.*5 values'):
        load_fit_mat(path)
    with pytest.raises(FileNotFoundError, match='nothing.mat'):
        load_fit_mat(tmp_path / 'nothing.mat')
    path.write_bytes(b'not a mat file')
    with pytest.raises(ValueError, match='broken.mat'):
        load_fit_mat(path)
