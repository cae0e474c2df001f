"""Landmark2DConsistencyLoss on hand-computed inputs: all 18 points equal
but one or two, offsets with integer lengths (3-4-5 triangles)."""
import math

import pytest
import torch

from mmface3d.registry import MODELS

# REFERENCE.md section 4, positions in the 18-point order: nose tip (68-pt
# 30) and mouth centre 4; eye centres and mouth corners (48, 54) 2; rest 1.
NOSE_TIP, MOUTH_CENTRE = 13, 16
EYE_CENTRES, MOUTH_CORNERS = (7, 10), (15, 17)
PAPER_MASK = [1.0] * 18
PAPER_MASK[NOSE_TIP] = PAPER_MASK[MOUTH_CENTRE] = 4.0
for i in EYE_CENTRES + MOUTH_CORNERS:
    PAPER_MASK[i] = 2.0


def points_with_offsets(offsets, batch=1):
    """(target, pred) with pred = target + offsets[i] at point i."""
    generator = torch.Generator().manual_seed(batch)
    target = torch.rand(batch, 18, 2, generator=generator) * 120
    pred = target.clone()
    for i, offset in offsets.items():
        pred[:, i] += torch.tensor(offset)
    return pred, target


def build(**kwargs):
    return MODELS.build(dict(type='Landmark2DConsistencyLoss', **kwargs))


@pytest.mark.parametrize('point', range(18))
def test_paper_mask_weights(point):
    """Offset of length 5 at one point: the loss is 5 x its mask value."""
    pred, target = points_with_offsets({point: (3.0, 4.0)})
    assert build()(pred, target).item() == pytest.approx(
        5 * PAPER_MASK[point], rel=1e-5)


def test_paper_two_points_mask_on_and_off():
    # nose tip (4) 5 px off, left brow corner (1) 2 px off
    pred, target = points_with_offsets({NOSE_TIP: (3.0, -4.0), 0: (0, 2.0)},
                                       batch=3)
    assert build()(pred, target).item() == pytest.approx(22.0, rel=1e-5)
    assert build(use_weight_mask=False, loss_weight=0.5)(
        pred, target).item() == pytest.approx(3.5, rel=1e-5)


def test_paper_missing_points_are_ignored():
    pred, target = points_with_offsets({NOSE_TIP: (3.0, 4.0), 0: (0, 2.0)})
    target[0, NOSE_TIP] = float('nan')  # a missing point's marker
    pred.requires_grad_(True)
    visible = torch.ones(1, 18, dtype=torch.bool)
    visible[0, NOSE_TIP] = False
    value = build()(pred, target, visible)
    assert value.item() == pytest.approx(2.0, rel=1e-5)
    value.backward()
    assert torch.isfinite(pred.grad).all()
    assert (pred.grad[0, NOSE_TIP] == 0).all()
    assert pred.grad[0, 0].tolist() == pytest.approx([0.0, 1.0])


def test_paper_fully_missing_sample_is_left_out_of_the_mean():
    pred, target = points_with_offsets({NOSE_TIP: (3.0, 4.0), 0: (0, 2.0)},
                                       batch=2)
    pred[1] += 50.0  # sample 1 has no visible point: its error is moot
    visible = torch.ones(2, 18, dtype=torch.bool)
    visible[1] = False
    assert build()(pred, target, visible).item() == pytest.approx(
        22.0, rel=1e-5)


def test_paper_no_visible_point_gives_zero_with_gradient_path():
    pred, target = points_with_offsets({NOSE_TIP: (3.0, 4.0)}, batch=2)
    pred.requires_grad_(True)
    value = build()(pred, target, torch.zeros(2, 18, dtype=torch.bool))
    assert value.item() == 0.0
    assert value.requires_grad
    value.backward()
    assert (pred.grad == 0).all()


def test_released_mode_hand_computed():
    """``mean((w * (y - x)) ** 2) / 18`` over B x 18 x 2 numbers, nose tip
    weight 2: ((2 * 3)^2 + (2 * 4)^2) / 36 / 18 for one sample."""
    pred, target = points_with_offsets({NOSE_TIP: (3.0, 4.0)})
    expected = (6.0**2 + 8.0**2) / 36 / 18
    assert build(mode='released')(pred, target).item() == pytest.approx(
        expected, rel=1e-5)
    # weights 1 for eye centres / mouth corners, 0.5 for the rest
    pred, target = points_with_offsets({EYE_CENTRES[0]: (3.0, 4.0),
                                        1: (0.0, 2.0)})
    expected = (25.0 + (0.5 * 2)**2) / 36 / 18
    assert build(mode='released')(pred, target).item() == pytest.approx(
        expected, rel=1e-5)
    # mask off: all weights 1
    assert build(mode='released', use_weight_mask=False)(
        pred, target).item() == pytest.approx((25.0 + 4.0) / 36 / 18,
                                              rel=1e-5)


def test_released_mode_visibility_and_batch():
    pred, target = points_with_offsets({NOSE_TIP: (3.0, 4.0),
                                        MOUTH_CORNERS[1]: (0.0, 1.0)},
                                       batch=2)
    target[1, MOUTH_CORNERS[1]] = float('nan')
    visible = torch.ones(2, 18, dtype=torch.bool)
    visible[1, MOUTH_CORNERS[1]] = False
    # sample 0: 100 + 1; sample 1: 100; over 2 x 36 numbers, / 18
    expected = (101.0 + 100.0) / 72 / 18
    value = build(mode='released', loss_weight=3.0)(pred, target, visible)
    assert value.item() == pytest.approx(3 * expected, rel=1e-5)
    assert math.isfinite(value.item())


def test_errors():
    with pytest.raises(ValueError, match='mode'):
        build(mode='mse')
    with pytest.raises(ValueError, match=r'\(B, 18, 2\)'):
        build()(torch.zeros(1, 68, 2), torch.zeros(1, 68, 2))
    with pytest.raises(ValueError, match='visible'):
        build()(torch.zeros(2, 18, 2), torch.zeros(2, 18, 2),
                torch.ones(2, 17, dtype=torch.bool))
