"""Mirroring params on the real BFM: symlist index base, exact pose, and the
refitted shape reproducing mirrored landmarks."""
import numpy as np
import pytest
import scipy.io as sio
import torch

from mmface3d.morphable import (FLIP_INDICES_68, MorphableModel,
                                get_face_mirror, load_symlist)

WIDTH = torch.tensor(120.0, dtype=torch.float64)


@pytest.fixture(scope='module')
def mirror(data_root):
    return get_face_mirror({})


def test_symlist_is_one_based(data_root, bfm):
    """With 1-based ids the mirrored mean shape fits itself better than with
    0-based ids, and the jaw / eye-corner keypoints map onto their mirror
    keypoints exactly."""
    pairs = sio.loadmat(str(data_root / 'bfm/model_info.mat'))['symlist']
    pairs = pairs.astype(np.int64)
    u = bfm.u.numpy().reshape(-1, 3)

    def residual(base):
        a, b = pairs[0] - base, pairs[1] - base
        keep = (a >= 0) & (b >= 0) & (a < len(u)) & (b < len(u))
        a, b = a[keep], b[keep]
        center = np.mean(u[a, 0] + u[b, 0]) / 2
        mirrored = u[a] * [-1, 1, 1] + [2 * center, 0, 0]
        return np.percentile(np.linalg.norm(mirrored - u[b], axis=1), 99)

    assert residual(1) < 0.8 * residual(0)
    partner = load_symlist(data_root / 'bfm/model_info.mat', len(u))
    keypoints = bfm.keypoints.numpy()
    for i in (0, 1, 2, 16, 36, 37, 39, 42, 45):
        assert partner[keypoints[i]] == keypoints[FLIP_INDICES_68[i]]


def test_load_symlist_rules(tmp_path):
    path = tmp_path / 'model_info.mat'
    # pairs (1, 3), (2, 2) and a duplicate (1, 4): first pair wins; 5 alone
    sio.savemat(str(path), {'symlist': np.array([[1, 2, 1], [3, 2, 4]])})
    np.testing.assert_array_equal(load_symlist(path, 5), [2, 1, 0, 0, 4])
    with pytest.raises(ValueError, match='vertex_ids'):
        load_symlist(path, 3)
    sio.savemat(str(path), {'symlist': np.array([[0, 1], [2, 3]])})
    with pytest.raises(ValueError, match='1-based'):
        load_symlist(path, 5)


def test_mirror_pose_exact(bfm, aflw_subset, mirror):
    params = aflw_subset['params']
    flipped = mirror(params, WIDTH.expand(len(params)))
    pose, new_pose = bfm.pose(params), bfm.pose(flipped)
    # [yaw, pitch, roll]: yaw and roll change sign, pitch stays
    torch.testing.assert_close(new_pose, pose * pose.new_tensor([-1, 1, -1]))
    scale = params[:, :3].norm(dim=1)
    torch.testing.assert_close(flipped[:, :3].norm(dim=1), scale)


def test_mirror_reproduces_mirrored_landmarks(bfm, aflw_subset, mirror):
    params = aflw_subset['params']
    lms = bfm.landmarks(params).transpose(1, 2).numpy()
    expected = lms[:, FLIP_INDICES_68].copy()
    expected[..., 0] = 120 - expected[..., 0]
    got = bfm.landmarks(mirror(params, WIDTH.expand(len(params))))
    err = np.linalg.norm(got.transpose(1, 2).numpy() - expected, axis=2)
    # the BFM and its 68 keypoints are not exactly symmetric: a few tenths
    # of a crop pixel remain
    assert err.mean() < 0.4 and err.max() < 2.0


def test_mirror_twice_restores_the_face(bfm, aflw_subset, mirror):
    params = aflw_subset['params']
    twice = mirror(mirror(params, WIDTH.expand(20)), WIDTH.expand(20))
    torch.testing.assert_close(twice[:, :12], params[:, :12])
    # 40 + 10 components are not closed under mirroring, so the refit moves
    # the coefficients, but not the face
    err = (bfm.landmarks(twice) - bfm.landmarks(params))[:, :2].norm(dim=1)
    assert err.mean() < 0.4


def test_mirror_of_the_no_neck_model(data_root, aflw_subset):
    """3DDFA_V2's no-neck model: symlist pairs are mapped through
    ``indices.npy``; pairs leaving the subset drop out of the fit."""
    cfg = dict(model_path='bfm/bfm_noneck_v3.pkl', layout='3ddfa_v2',
               convention='v2')
    mirror = get_face_mirror(cfg, vertex_ids='bfm/indices.npy')
    model = MorphableModel(param_stats=None, **cfg).double()
    assert 0.98 * model.num_vertices < mirror.num_fitted < model.num_vertices
    params = aflw_subset['params']
    flipped = mirror(params, WIDTH.expand(20), 'v2')
    lms = model.landmarks(params).transpose(1, 2).numpy()
    expected = lms[:, FLIP_INDICES_68, :2]
    expected[..., 0] = 120 - expected[..., 0]
    got = model.landmarks(flipped).transpose(1, 2).numpy()[..., :2]
    assert np.linalg.norm(got - expected, axis=2).mean() < 0.4
    with pytest.raises(ValueError, match='vertex_ids'):
        get_face_mirror(cfg)
