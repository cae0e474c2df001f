"""VDCLoss on hand-computed cases: the tiny model of
tests/test_models/conftest.py (camera ``[S I | T]`` at whitened zero) and
the real BFM for translation-only differences."""
import numpy as np
import pytest
import torch

from mmface3d.registry import MODELS

S = 0.5  # the tiny model's mean camera scale (conftest.py)


@pytest.fixture
def tiny_model(tiny_morphable_cfg):
    return MODELS.build(tiny_morphable_cfg)


def shape_offset(tiny_bfm_files, j, delta, batch=1):
    """Whitened (pred, target): target the mean face, pred with raw shape
    coefficient j moved by ``delta``."""
    target = torch.zeros(batch, 62)
    pred = target.clone()
    pred[:, 12 + j] = delta / tiny_bfm_files['std'][12 + j]
    return pred, target


def test_shape_difference_hand_computed(tiny_model, tiny_bfm_files):
    """Raw shape coefficient j moved by delta moves vertex coordinate r by
    ``S * delta * w_shp[r, j]`` (the flip of y only changes its sign)."""
    j, delta = 3, 0.7
    pred, target = shape_offset(tiny_bfm_files, j, delta, batch=2)
    column = tiny_bfm_files['shape_basis'][:, j]
    expected = (S * delta)**2 * np.mean(column**2)
    loss = MODELS.build(dict(type='VDCLoss', loss_weight=2.0))
    assert loss(pred, target, tiny_model).item() == pytest.approx(
        2.0 * expected, rel=1e-5)


def test_resampled_vertices_follow_torch_seed(tiny_model, tiny_bfm_files):
    j, delta = 0, -1.5
    pred, target = shape_offset(tiny_bfm_files, j, delta)
    loss = MODELS.build(dict(type='VDCLoss', num_vertices=10))
    torch.manual_seed(5)
    value = loss(pred, target, tiny_model)
    torch.manual_seed(5)
    ids = torch.randperm(68)[:10].numpy()
    rows = (3 * ids[:, None] + np.arange(3)).reshape(-1)
    column = tiny_bfm_files['shape_basis'][rows, j]
    assert value.item() == pytest.approx(
        (S * delta)**2 * np.mean(column**2), rel=1e-5)
    # explicit ids
    fixed = loss(pred, target, tiny_model, torch.from_numpy(ids))
    assert fixed.item() == pytest.approx(value.item(), rel=1e-6)


def test_predicted_z_translation_is_replaced(tiny_model):
    """A z-translation error alone costs nothing and gets no gradient; an
    x-translation error d costs d^2 / 3 (every vertex, one of 3 axes)."""
    std = tiny_model.param_std
    pred = torch.zeros(2, 62)
    pred[:, 11] = 8.0 / std[11]
    pred.requires_grad_(True)
    loss = MODELS.build(dict(type='VDCLoss'))
    value = loss(pred, torch.zeros(2, 62), tiny_model)
    assert value.item() == 0.0
    value.backward()
    assert (pred.grad == 0).all()
    pred = torch.zeros(2, 62)
    pred[:, 3] = 3.0 / std[3]
    pred[:, 11] = -20.0 / std[11]
    assert loss(pred, torch.zeros(2, 62),
                tiny_model).item() == pytest.approx(3.0, rel=1e-5)


def test_real_bfm_translation_only(bfm):
    """Dense real BFM: translations (dx, dy) per sample shift all 53215
    vertices alike; the loss is the mean of (dx^2 + dy^2) / 3."""
    rng = np.random.default_rng(0)
    target_white = torch.from_numpy(rng.normal(0, 1, (2, 62)))
    target = bfm.dewhiten(target_white)
    pred = target.clone()
    shifts = np.array([[2.0, -1.0], [0.5, 3.0]])
    pred[:, 3] += torch.from_numpy(shifts[:, 0])
    pred[:, 7] += torch.from_numpy(shifts[:, 1])
    pred[:, 11] += 40.0  # replaced by the ground truth's
    loss = MODELS.build(dict(type='VDCLoss'))
    value = loss(bfm.whiten(pred), target_white, bfm)
    expected = np.mean((shifts**2).sum(1) / 3)
    assert value.item() == pytest.approx(expected, rel=1e-9)


def test_gradient_and_errors(tiny_model, tiny_bfm_files):
    pred, target = shape_offset(tiny_bfm_files, 1, 0.3)
    pred.requires_grad_(True)
    loss = MODELS.build(dict(type='VDCLoss'))
    loss(pred, target, tiny_model).backward()
    assert pred.grad[0, 13] != 0
    with pytest.raises(ValueError, match='differ'):
        loss(torch.zeros(2, 62), torch.zeros(1, 62), tiny_model)
    with pytest.raises(ValueError, match='num_vertices'):
        MODELS.build(dict(type='VDCLoss', num_vertices=0))
