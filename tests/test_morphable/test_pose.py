"""Camera decomposition and Euler angles on the AFLW2000-3D fits."""
import numpy as np
import pytest
import torch

from mmface3d.morphable import (camera_to_pose, compose_camera,
                                decompose_camera, euler_to_rotation,
                                fit_to_params, load_fit_mat, pose_to_camera,
                                rotation_to_euler)

ANN = 'aflw2000_3d/annotations'


@pytest.fixture(scope='module')
def cameras(data_root):
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    fits = [load_fit_mat(data_root / 'aflw2000_3d/AFLW2000' /
                         n.replace('.jpg', '.mat')) for n in names]
    pose_para = torch.from_numpy(np.stack([f['pose_para'] for f in fits]))
    shape = torch.from_numpy(np.stack([f['shape_para'] for f in fits]))
    exp = torch.from_numpy(np.stack([f['exp_para'] for f in fits]))
    roi = torch.from_numpy(
        np.load(data_root / ANN / 'AFLW2000-3D_crop.roi_box.npy')).double()
    params = fit_to_params(pose_para, shape, exp, 450.0, roi_box=roi)
    return pose_para, params[:, :12].reshape(-1, 3, 4)


def test_rotation_matches_reference_matrices():
    a, b, c = 0.3, -0.7, 0.2
    rx = np.array([[1, 0, 0], [0, np.cos(a), np.sin(a)],
                   [0, -np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, -np.sin(b)], [0, 1, 0],
                   [np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), np.sin(c), 0], [-np.sin(c), np.cos(c), 0],
                   [0, 0, 1]])
    rot = euler_to_rotation(torch.tensor([[a, b, c]], dtype=torch.float64))
    np.testing.assert_allclose(rot[0].numpy(), rx @ ry @ rz, atol=1e-12)
    back = rotation_to_euler(rot)
    np.testing.assert_allclose(back[0].numpy(), [a, b, c], atol=1e-12)


def test_decompose_compose_round_trip(cameras, device):
    _, camera = cameras
    camera = camera.to(device)
    scale, rot, trans = decompose_camera(camera)
    rebuilt = compose_camera(scale, rot, trans)
    rel = (rebuilt - camera).abs().amax((1, 2)) / camera.abs().amax((1, 2))
    assert len(rel) == 2000 and rel.max() < 1e-5
    # R is a rotation: orthonormal with det +1.
    eye = torch.eye(3, dtype=rot.dtype, device=device)
    assert (rot @ rot.transpose(1, 2) - eye).abs().max() < 1e-6
    assert (torch.linalg.det(rot) - 1).abs().max() < 1e-6
    pose = camera_to_pose(camera)
    rebuilt = pose_to_camera(pose, scale, trans)
    rel = (rebuilt - camera).abs().amax((1, 2)) / camera.abs().amax((1, 2))
    assert rel.max() < 1e-5


def test_yaw_matches_pose_file(cameras, data_root):
    pose_para, camera = cameras
    yaw_file = np.load(data_root / ANN / 'AFLW2000-3D.pose.npy')
    yaw = camera_to_pose(camera)[:, 0].numpy()
    inside = np.abs(yaw_file) <= 90
    assert inside.sum() == 1993
    assert np.abs(yaw - yaw_file)[inside].max() < 0.1
    # The 7 others carry an equivalent Euler triple outside [-90, 90] (one
    # of them, index 1902, with f < 0): the decomposition returns the triple
    # inside it that builds the same R.
    outside = ~inside
    assert np.flatnonzero(pose_para[:, 6] < 0).tolist() == [1902]
    assert inside[1902] == False  # noqa: E712
    assert np.abs(yaw[outside]).max() <= 90
    assert (np.abs(yaw[outside] - yaw_file[outside]) > 1).all()
    stored = euler_to_rotation(pose_para[outside, :3])
    ours = euler_to_rotation(
        rotation_to_euler(decompose_camera(camera[outside])[1]))
    np.testing.assert_allclose(ours.numpy(), stored.numpy(), atol=1e-6)
    np.testing.assert_allclose(
        np.sin(np.deg2rad(yaw[outside])),
        np.sin(np.deg2rad(yaw_file[outside])), atol=1e-6)
