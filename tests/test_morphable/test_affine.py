"""Crop affines and their action on points and params: analytic cases and
exactness on the real BFM."""
import cv2
import numpy as np
import pytest
import torch

from mmface3d.morphable.affine import (affine_z_scale, box_affine,
                                       compose_affine, flip_affine,
                                       invert_affine, is_reflection,
                                       pixel_affine, transform_params,
                                       transform_points)


def rotation_affine(angle_deg, scale, shift):
    """(1, 2, 3) similarity ``scale * R(angle) p + shift``."""
    a = np.radians(angle_deg)
    lin = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return torch.tensor(np.concatenate([lin, np.array(shift)[:, None]], 1),
                        dtype=torch.float64)[None]


def test_box_affine_hand_values():
    affine = box_affine(torch.tensor([[10., 20., 70., 140.]]), 120)
    # per-axis scales: x by 120 / 60, y by 120 / 120
    expected = torch.tensor([[[2., 0., -20.], [0., 1., -20.]]])
    torch.testing.assert_close(affine, expected)
    with pytest.raises(ValueError, match='ex > sx'):
        box_affine(torch.tensor([[10., 20., 10., 140.]]))


def test_invert_compose_flip():
    affine = rotation_affine(30, 1.7, [3., -4.])
    ident = compose_affine(affine, invert_affine(affine))
    torch.testing.assert_close(ident,
                               torch.eye(2, 3, dtype=torch.float64)[None])
    flip = flip_affine(torch.tensor([120.]))
    pts = torch.tensor([[[0., 5.], [30., 7.], [120., 9.]]])
    torch.testing.assert_close(
        transform_points(pts, flip), torch.tensor([[[120., 5.], [90., 7.],
                                                    [0., 9.]]]))
    torch.testing.assert_close(affine_z_scale(affine),
                               torch.tensor([1.7], dtype=torch.float64))
    # a mirror reverses orientation, a rotation does not, and a rotation
    # composed with a mirror still mirrors
    assert is_reflection(flip).tolist() == [True]
    assert is_reflection(affine).tolist() == [False]
    assert is_reflection(compose_affine(flip.double(), affine)).tolist() == [
        True]


def test_transform_points_z_scale():
    affine = torch.tensor([[[2., 0., 1.], [0., 4., 0.]]])
    pts = torch.tensor([[[1., 1., 10.]]])
    # x, y by the affine; z by the mean axis scale (2 + 4) / 2
    torch.testing.assert_close(
        transform_points(pts, affine), torch.tensor([[[3., 4., 30.]]]))


def test_pixel_affine_matches_slice_and_resize():
    """warpAffine with the pixel form of a box's affine == pad + slice +
    cv2.resize, the benchmark crop, on a random image."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (90, 110, 3), dtype=np.uint8)
    img = cv2.GaussianBlur(img, (7, 7), 2)
    box = np.array([-15, 10, 85, 110])  # leaves the image left and below
    padded = np.zeros((100, 100, 3), np.uint8)
    padded[:80, 15:] = img[10:90, 0:85]
    reference = cv2.resize(padded, (120, 120), interpolation=cv2.INTER_LINEAR)
    box_t = torch.tensor(box[None], dtype=torch.float64)
    warp = pixel_affine(box_affine(box_t, 120))[0].numpy()
    warped = cv2.warpAffine(img, warp, (120, 120), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    diff = np.abs(warped.astype(int) - reference.astype(int))
    assert diff.max() <= 2 and diff.mean() < 0.5


def test_transform_params_analytic_v1():
    """Translation and scaling of a v1 crop (y = 121 - Y), by hand."""
    params = torch.arange(1., 63., dtype=torch.float64)[None]
    cam = params[0, :12].view(3, 4)
    shifted = transform_params(
        params, torch.tensor([[[1., 0., 5.], [0., 1., -3.]]]).double())
    new = shifted[0, :12].view(3, 4)
    torch.testing.assert_close(new[:, :3], cam[:, :3])
    # x' = x + 5 -> tx + 5; y' = y - 3 = 121 - (Y + 3) -> ty + 3
    torch.testing.assert_close(new[:, 3], cam[:, 3] + torch.tensor(
        [5., 3., 0.], dtype=torch.float64))
    scaled = transform_params(
        params, torch.tensor([[[2., 0., 0.], [0., 2., 0.]]]).double())
    new = scaled[0, :12].view(3, 4)
    torch.testing.assert_close(new[:, :3], 2 * cam[:, :3])
    # y' = 2 (121 - Y) = 121 - Y' -> Y' = 2 Y - 121 -> ty' = 2 ty - 121
    torch.testing.assert_close(new[:, 3], torch.stack(
        [2 * cam[0, 3], 2 * cam[1, 3] - 121, 2 * cam[2, 3]]))
    torch.testing.assert_close(scaled[:, 12:], params[:, 12:])


@pytest.mark.parametrize('convention', ['v1', 'v2'])
def test_transform_params_exact_on_bfm(bfm, aflw_subset, convention):
    """Landmarks of the transformed params == transformed landmarks, for
    similarities, an anisotropic scale and a mirror."""
    params = aflw_subset['params'][:4]
    affines = torch.cat([
        rotation_affine(25, 1.3, [-10., 7.]),
        rotation_affine(-40, 0.7, [30., -2.]),
        torch.tensor([[[1.5, 0., 2.], [0., 0.8, -4.]]]).double(),
        flip_affine(torch.tensor([120.]).double()),
    ])
    new_params = transform_params(params, affines, convention)
    torch.testing.assert_close(
        project(bfm, new_params, convention),
        transform_points(project(bfm, params, convention), affines),
        rtol=0,
        atol=1e-6)


def project(bfm, params, convention):
    """(B, 68, 3) crop landmarks, written out here from REFERENCE.md
    section 2: ``P S + t``, then ``y = 121 - y`` (v1) or ``x - 1``,
    ``y = 120 - y`` (v2)."""
    shape = (bfm.u_kp + params[:, 12:] @ bfm.w_kp.T).view(-1, 68, 3)
    camera = params[:, :12].view(-1, 3, 4)
    pts = shape @ camera[:, :, :3].transpose(1, 2) + camera[:, None, :, 3]
    dx, fy = (0., 121.) if convention == 'v1' else (-1., 120.)
    return torch.stack([pts[..., 0] + dx, fy - pts[..., 1], pts[..., 2]], 2)


def test_transform_params_checks_shapes():
    with pytest.raises(ValueError, match=r'params must be \(1, P >= 12\)'):
        transform_params(torch.zeros(1, 5), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match=r'affine must be \(B, 2, 3\)'):
        transform_params(torch.zeros(1, 62), torch.zeros(1, 3, 3))
