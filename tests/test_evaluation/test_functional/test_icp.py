import numpy as np
import pytest
from scipy.spatial import cKDTree

from mmface3d.evaluation.functional import (bbox_size, rigid_icp,
                                            rigid_transform)


def rotation(yaw_deg, pitch_deg=0.0):
    a, b = np.deg2rad(yaw_deg), np.deg2rad(pitch_deg)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0],
                   [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)],
                   [0, np.sin(b), np.cos(b)]])
    return rx @ ry


@pytest.fixture(scope='module')
def face(data_root):
    """Every 50th vertex of the BFM mean face, scaled to ~180 px wide, z
    shifted to min 0: a point cloud like the protocol's."""
    bfm = data_root / 'bfm'
    mean = np.load(bfm / 'u_shp.npy') + np.load(bfm / 'u_exp.npy')
    points = mean.reshape(-1, 3)[::50].astype(np.float64) * 1e-3
    points[:, 2] -= points[:, 2].min()
    return points


def test_rigid_transform_recovers_known_motion():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(2, 50, 3))
    rot = np.stack([rotation(30, 10), rotation(-70, 5)])
    shift = np.array([[1.0, -2.0, 3.0], [10.0, 0.5, -4.0]])
    target = source @ rot.transpose(0, 2, 1) + shift[:, None]
    scale, rot_est, shift_est = rigid_transform(source, target)
    assert np.allclose(scale, 1)
    assert np.allclose(rot_est, rot, atol=1e-10)
    assert np.allclose(shift_est, shift, atol=1e-10)
    scale, rot_est, shift_est = rigid_transform(
        source, 1.5 * target, with_scale=True)
    assert np.allclose(scale, 1.5)
    assert np.allclose(rot_est, rot, atol=1e-10)
    assert np.allclose(shift_est, 1.5 * shift, atol=1e-10)


def test_rigid_transform_is_a_proper_rotation():
    """A mirrored target must not be matched by a reflection."""
    rng = np.random.default_rng(1)
    source = rng.normal(size=(1, 30, 3))
    _, rot, _ = rigid_transform(source, source * [-1, 1, 1])
    assert np.linalg.det(rot[0]) == pytest.approx(1.0)


def test_icp_undoes_rotation_and_shift(face):
    source = face @ rotation(10).T + [5.0, -3.0, 2.0]
    aligned, dist = rigid_icp(source[None], face[None])
    nme = dist.mean(1) / bbox_size(face[None])
    assert nme[0] < 1e-6
    assert np.allclose(aligned[0], face, atol=1e-4)


def test_icp_gaussian_noise_gives_expected_nme(face):
    """E||n|| of isotropic 3D Gaussian noise is sigma * sqrt(8 / pi)."""
    sigma, clouds = 0.05, 4
    rng = np.random.default_rng(2)
    target = np.repeat(face[None], clouds, 0)
    source = target + rng.normal(0, sigma, target.shape)
    source = source @ rotation(10, 5).T + [2.0, 1.0, -1.0]
    _, dist = rigid_icp(source, target)
    nme = (dist.mean(1) / bbox_size(target)).mean()
    expected = sigma * np.sqrt(8 / np.pi) / bbox_size(face[None])[0]
    assert nme == pytest.approx(expected, rel=0.05)


def test_icp_with_scale(face):
    source = 1.1 * face @ rotation(-8).T + [1.0, 2.0, 0.0]
    _, dist = rigid_icp(source[None], face[None], with_scale=True)
    assert dist.mean() < 1e-4
    _, dist = rigid_icp(source[None], face[None])
    assert dist.mean() > 0.5  # a rigid fit cannot absorb a 10% scale


@pytest.mark.parametrize('max_iter', [1, 2, 100])
def test_icp_distances_are_those_of_the_returned_clouds(face, max_iter):
    """Whether a cloud converged or ran out of iterations, the distances
    are its aligned points' closest-point distances."""
    source = np.stack([face @ rotation(angle).T + [1.0, 0.5, 0.0]
                       for angle in (0.5, 12.0)])
    target = np.stack([face, face * [1.05, 1.0, 1.0]])
    aligned, dist = rigid_icp(source, target, max_iter=max_iter)
    for b in range(2):
        expected, _ = cKDTree(target[b]).query(aligned[b])
        np.testing.assert_allclose(dist[b], expected, atol=1e-12)


def test_icp_checks_shapes():
    with pytest.raises(ValueError, match=r'\(B, N, 3\)'):
        rigid_icp(np.zeros((1, 5, 2)), np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match=r'\(B, N, 3\)'):
        rigid_icp(np.zeros((2, 5, 3)), np.zeros((1, 5, 3)))
