"""WPDCLoss against a slow loop-based reference of REFERENCE.md section 5,
on the tiny model of tests/test_models/conftest.py and on the real BFM."""
import math
import pickle

import numpy as np
import pytest
import torch

from mmface3d.morphable.bfm_files import load_param_stats
from mmface3d.registry import MODELS


def reference_weights(pred_white, target_white, u, w_shp, w_exp, kp_rows,
                      vertex_ids, mean, std):
    """WPDC weights of one batch, one number at a time (float64).

    Args:
        pred_white, target_white: (B, 62) whitened params.
        u (3N,), w_shp (3N, 40), w_exp (3N, 10): xyz-interleaved model.
        kp_rows (204,): rows of the 68 landmarks.
        vertex_ids: ids of the resampled vertices.
        mean, std (62,): whitening.
    """
    rows = [int(r) for r in kp_rows]
    for v in vertex_ids:
        rows += [3 * int(v), 3 * int(v) + 1, 3 * int(v) + 2]
    num_points = len(rows) // 3
    basis = np.concatenate([w_shp, w_exp], 1)
    column_norms = []
    for j in range(basis.shape[1]):
        total = 0.0
        for r in rows:
            total += basis[r, j]**2
        column_norms.append(math.sqrt(total))
    weights = np.zeros(pred_white.shape)
    for b in range(pred_white.shape[0]):
        pred = pred_white[b] * std + mean
        target = target_white[b] * std + mean
        alpha = target[12:]
        squares = [0.0, 0.0, 0.0]
        for r in rows:
            value = u[r]
            for j in range(len(alpha)):
                value += basis[r, j] * alpha[j]
            squares[r % 3] += value**2
        for i in range(62):
            delta = abs(pred[i] - target[i])
            if i == 11:
                continue  # z-translation: weight 0, before and after the max
            if i < 12:
                column = i % 4
                if column < 3:
                    weights[b, i] = delta * math.sqrt(squares[column])
                else:
                    weights[b, i] = delta * math.sqrt(num_points)
            else:
                weights[b, i] = 0.00057339936 * delta * column_norms[i - 12]
            weights[b, i] += 1e-6
        weights[b] /= weights[b].max()
    return weights


def reference_loss(pred_white, target_white, weights):
    total = 0.0
    for b in range(pred_white.shape[0]):
        for i in range(pred_white.shape[1]):
            total += weights[b, i] * (pred_white[b, i] - target_white[b, i])**2
    return total / pred_white.size


@pytest.fixture
def tiny(tiny_bfm_files, tiny_morphable_cfg):
    """The tiny model and its arrays, read straight from its pickles."""
    with open(tiny_bfm_files['model_path'], 'rb') as f:
        arrays = pickle.load(f)
    with open(tiny_bfm_files['param_stats'], 'rb') as f:
        stats = pickle.load(f)
    return dict(
        model=MODELS.build(tiny_morphable_cfg),
        u=arrays['u'].reshape(-1).astype(np.float64),
        w_shp=arrays['w_shp'].astype(np.float64),
        w_exp=arrays['w_exp'].astype(np.float64),
        kp_rows=arrays['keypoints'],
        mean=stats['mean'].astype(np.float64),
        std=stats['std'].astype(np.float64))


def random_params(batch, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (batch, 62)), rng.normal(0, 1, (batch, 62))


def reference(tiny, pred, target, ids):
    return reference_weights(pred, target, tiny['u'], tiny['w_shp'],
                             tiny['w_exp'], tiny['kp_rows'], ids,
                             tiny['mean'], tiny['std'])


@pytest.mark.parametrize('batch', [1, 4])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_matches_loop_reference_with_fixed_ids(tiny, batch, dtype):
    pred, target = random_params(batch, seed=batch)
    ids = np.array([5, 0, 67, 12, 40, 30])
    expected_w = reference(tiny, pred, target, ids)
    model = tiny['model'].to(dtype)
    loss = MODELS.build(dict(type='WPDCLoss', loss_weight=3.0))
    args = (torch.tensor(pred, dtype=dtype),
            torch.tensor(target, dtype=dtype), model, torch.tensor(ids))
    weights = loss.weights(*args)
    np.testing.assert_allclose(weights.numpy(), expected_w, atol=1e-5)
    assert loss(*args).item() == pytest.approx(
        3.0 * reference_loss(pred, target, expected_w), rel=1e-5)


def test_resampling_follows_torch_seed(tiny):
    """Without ids, ``randperm`` on the model's device draws them; the tiny
    model has 68 vertices, so 132 requested means all 68 (a permutation)."""
    pred, target = random_params(3, seed=7)
    loss = MODELS.build(dict(type='WPDCLoss'))
    torch.manual_seed(11)
    value = loss(
        torch.tensor(pred, dtype=torch.float32),
        torch.tensor(target, dtype=torch.float32), tiny['model'])
    torch.manual_seed(11)
    ids = torch.randperm(68)[:132].numpy()
    assert len(ids) == 68
    expected = reference_loss(pred, target, reference(tiny, pred, target,
                                                      ids))
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_no_resampling_uses_landmarks_only(tiny):
    pred, target = random_params(2, seed=3)
    loss = MODELS.build(dict(type='WPDCLoss', num_resample=0))
    weights = loss.weights(
        torch.tensor(pred, dtype=torch.float32),
        torch.tensor(target, dtype=torch.float32), tiny['model'])
    np.testing.assert_allclose(
        weights.numpy(), reference(tiny, pred, target, []), atol=1e-5)


@pytest.mark.parametrize('batch', [1, 3])
def test_weights_carry_no_gradient(tiny, batch):
    """pred.grad is that of the weighted squared difference with the
    reference weights held constant: 2 W (p - g) / (B P)."""
    pred, target = random_params(batch, seed=20 + batch)
    ids = np.array([1, 2, 3])
    weights = reference(tiny, pred, target, ids)
    pred_t = torch.tensor(pred, dtype=torch.float32, requires_grad=True)
    target_t = torch.tensor(target, dtype=torch.float32, requires_grad=True)
    loss = MODELS.build(dict(type='WPDCLoss'))
    loss(pred_t, target_t, tiny['model'], torch.tensor(ids)).backward()
    expected = 2 * weights * (pred - target) / pred.size
    np.testing.assert_allclose(pred_t.grad.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(target_t.grad.numpy(), -expected, atol=1e-6)
    assert not loss.weights(pred_t, target_t, tiny['model']).requires_grad


def test_z_translation_weight_is_zero_and_rows_peak_at_one(tiny):
    """The z-translation never enters the per-sample max either (as in
    3DDFA): a huge z error leaves every other weight as it was."""
    pred, target = random_params(4, seed=5)
    loss = MODELS.build(dict(type='WPDCLoss'))
    ids = torch.tensor([3, 4])

    def weights_of(pred):
        return loss.weights(
            torch.tensor(pred, dtype=torch.float32),
            torch.tensor(target, dtype=torch.float32), tiny['model'], ids)

    weights = weights_of(pred)
    pred[:, 11] += 1e4
    assert torch.equal(weights_of(pred), weights)
    assert (weights[:, 11] == 0).all()
    np.testing.assert_allclose(weights.amax(1).numpy(), 1.0, rtol=1e-6)
    only_z = torch.zeros(2, 62)
    only_z[:, 11] = 5.0
    loss = MODELS.build(dict(type='WPDCLoss'))
    assert loss(only_z, torch.zeros(2, 62), tiny['model']).item() == 0.0


def test_shape_mismatch_is_reported(tiny):
    loss = MODELS.build(dict(type='WPDCLoss'))
    with pytest.raises(ValueError, match='differ'):
        loss(torch.zeros(2, 62), torch.zeros(3, 62), tiny['model'])
    with pytest.raises(ValueError, match='num_resample'):
        MODELS.build(dict(type='WPDCLoss', num_resample=-1))


def test_real_bfm_matches_loop_reference(data_root, bfm):
    """On the 3DDFA BFM, with the arrays read from the .npy files: the
    model's landmark rows and bases are the ones the weights use."""
    bfm_dir = data_root / 'bfm'
    u = np.load(bfm_dir / 'u_shp.npy') + np.load(bfm_dir / 'u_exp.npy')
    w_shp = np.load(bfm_dir / 'w_shp_sim.npy')
    w_exp = np.load(bfm_dir / 'w_exp_sim.npy')
    kp_rows = np.load(bfm_dir / 'keypoints_sim.npy')
    stats = load_param_stats(bfm_dir / 'param_whitening.pkl')
    pred, target = random_params(2, seed=9)
    ids = np.random.default_rng(1).choice(53215, 132, replace=False)
    expected = reference_weights(pred, target,
                                 u.reshape(-1).astype(np.float64),
                                 w_shp.astype(np.float64),
                                 w_exp.astype(np.float64), kp_rows, ids,
                                 stats['mean'].astype(np.float64),
                                 stats['std'].astype(np.float64))
    loss = MODELS.build(dict(type='WPDCLoss'))
    args = (torch.tensor(pred), torch.tensor(target), bfm,
            torch.tensor(ids))
    np.testing.assert_allclose(
        loss.weights(*args).numpy(), expected, atol=1e-5)
    assert loss(*args).item() == pytest.approx(
        reference_loss(pred, target, expected), rel=1e-5)
