"""MorphableModel on the real BFM arrays and the full AFLW2000-3D set."""
import copy

import numpy as np
import pytest
import scipy.io as sio
import torch

from mmface3d.morphable import MorphableModel, load_fit_mat

ANN = 'aflw2000_3d/annotations'
V2 = dict(
    model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2',
    param_stats='bfm/param_mean_std_62d_120x120.pkl')


@pytest.fixture(scope='module')
def aflw(data_root):
    """All 2000 AFLW2000-3D fits, released roi boxes and benchmark files."""
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    fits = [
        load_fit_mat(data_root / 'aflw2000_3d/AFLW2000' /
                     name.replace('.jpg', '.mat')) for name in names
    ]

    def stack(key):
        return torch.from_numpy(np.stack([fit[key] for fit in fits]))

    return dict(
        pose_para=stack('pose_para'),
        shape_para=stack('shape_para'),
        exp_para=stack('exp_para'),
        roi_box=torch.from_numpy(
            np.load(data_root / ANN /
                    'AFLW2000-3D_crop.roi_box.npy')).double(),
        pts68=np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy'),
        yaw=np.load(data_root / ANN / 'AFLW2000-3D.pose.npy'))


@pytest.fixture(scope='module')
def bfm(data_root):
    return MorphableModel()


@pytest.fixture(scope='module')
def bfm_noneck(data_root):
    return MorphableModel(**V2)


def image_landmarks(model, aflw, device):
    """GT params of all 2000 fits -> (2000, 2, 68) image landmarks."""
    model = copy.deepcopy(model).to(device).double()
    params = model.params_from_annotation(
        aflw['pose_para'].to(device), aflw['shape_para'].to(device),
        aflw['exp_para'].to(device), aflw['roi_box'].to(device), 450.0)
    lms = model.crop_to_image(
        model.landmarks(params), aflw['roi_box'].to(device))
    return params, lms[:, :2].cpu().numpy()


def bbox_nme(pred, gt):
    """Per-image mean point error / sqrt(w * h) of the GT bbox."""
    size = gt.max(2) - gt.min(2)
    return np.linalg.norm(pred - gt, axis=1).mean(1) / np.sqrt(size.prod(1))


def test_round_trip_aflw2000(aflw, bfm, device):
    # REFERENCE section 3: 40 + 10 components reproduce pt3d_68 at 0.92 %.
    _, lms = image_landmarks(bfm, aflw, device)
    nme = bbox_nme(lms, aflw['pts68'][:, :2])
    assert len(nme) == 2000
    assert 0.90 <= nme.mean() * 100 <= 0.95
    assert nme.max() * 100 == pytest.approx(8.1, abs=0.1)


@pytest.mark.parametrize('convention', ['v1', 'v2'])
def test_noneck_model_gives_same_landmarks(aflw, bfm, data_root, convention,
                                           device):
    noneck = MorphableModel(**V2, convention=convention)
    _, full = image_landmarks(bfm, aflw, device)
    _, sub = image_landmarks(noneck, aflw, device)
    np.testing.assert_allclose(sub, full, atol=1e-3, rtol=0)


def test_noneck_is_the_indexed_full_model(bfm, bfm_noneck, data_root):
    indices = np.load(data_root / 'bfm/indices.npy')
    rows = (3 * indices[:, None] + np.arange(3)).reshape(-1)
    np.testing.assert_allclose(
        bfm_noneck.u.numpy(), bfm.u.numpy()[rows], rtol=1e-6, atol=1e-2)
    np.testing.assert_allclose(
        bfm_noneck.w.numpy(), bfm.w.numpy()[rows], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('stats', ['bfm/param_whitening.pkl',
                                   'bfm/param_mean_std_62d_120x120.pkl'])
def test_whitening_round_trip(aflw, bfm, stats, device):
    model = MorphableModel(param_stats=stats).to(device)
    params, _ = image_landmarks(bfm, aflw, device)
    params = params.float()
    white = model.whiten(params)
    # Whitened GT params are O(1): the stats describe this distribution.
    assert white.abs().median() < 3
    # Exact to float32: within a few ulp of the magnitudes involved.
    err = (model.dewhiten(white) - params).abs()
    ulp = torch.finfo(torch.float32).eps * (
        params.abs() + model.param_mean.abs())
    assert (err <= 4 * ulp).all()


def test_float64_matches_float32(aflw, bfm, device):
    params, _ = image_landmarks(bfm, aflw, device)
    params = params[:16]
    model32 = copy.deepcopy(bfm).to(device)
    model64 = copy.deepcopy(bfm).to(device).double()
    dense32 = model32.reconstruct(params.float()).double()
    dense64 = model64.reconstruct(params)
    rel = (dense32 - dense64).abs().max() / dense64.abs().max()
    assert rel < 1e-4


def test_landmarks_are_dense_keypoint_vertices(aflw, bfm, device):
    model = copy.deepcopy(bfm).to(device)
    params, _ = image_landmarks(bfm, aflw, device)
    params = params[:8].float()
    dense = model.reconstruct(params)
    torch.testing.assert_close(
        model.landmarks(params), dense[:, :, model.keypoints],
        rtol=0, atol=1e-3)


def test_vertex_subset_is_the_dense_mesh_indexed(aflw, bfm, device):
    model = copy.deepcopy(bfm).to(device)
    params, _ = image_landmarks(bfm, aflw, device)
    params = params[:4].float()
    ids = torch.tensor([0, 7, 50, 53214], device=device)
    torch.testing.assert_close(
        model.reconstruct(params, ids), model.reconstruct(params)[:, :, ids])


def test_projection_conventions_on_known_camera(bfm):
    # Identity camera, zero coefficients: the crop points are the mean
    # shape, flipped as each convention says (REFERENCE section 2).
    params = torch.zeros(1, 62)
    params[0, [0, 5, 10]] = 1.0
    mean = bfm.u_kp.view(-1, 3).T
    v1 = bfm.landmarks(params)[0]
    torch.testing.assert_close(v1[0], mean[0])
    torch.testing.assert_close(v1[1], 121 - mean[1])
    torch.testing.assert_close(v1[2], mean[2])
    v2 = MorphableModel(convention='v2').landmarks(params)[0]
    torch.testing.assert_close(v2[0], mean[0] - 1)
    torch.testing.assert_close(v2[1], 120 - mean[1])


def test_crop_to_image_scales(bfm):
    points = torch.tensor([[[0.0, 120.0], [0.0, 60.0], [10.0, 20.0]]])
    box = torch.tensor([[10.0, 20.0, 250.0, 140.0]])
    out = bfm.crop_to_image(points, box)[0]
    # x: *2 + 10, y: *1 + 20, z: *mean(2, 1)
    torch.testing.assert_close(out, torch.tensor([[10.0, 250.0],
                                                  [20.0, 80.0],
                                                  [15.0, 30.0]]))
    shifted = MorphableModel(convention='v2').crop_to_image(points, box)[0]
    torch.testing.assert_close(shifted[2], torch.tensor([0.0, 15.0]))


def test_params_of_wrong_width(bfm):
    with pytest.raises(ValueError, match=r'\(B, 62\)'):
        bfm.landmarks(torch.zeros(2, 60))
    with pytest.raises(ValueError, match=r'\(B, 62\)'):
        bfm.dewhiten(torch.zeros(62))
    small = MorphableModel(n_shape=10, n_exp=5)
    assert small.num_params == 27
    assert small.landmarks(torch.zeros(3, 27)).shape == (3, 3, 68)
    with pytest.raises(ValueError, match=r'\(B, 27\)'):
        small.reconstruct(torch.zeros(3, 62))


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
