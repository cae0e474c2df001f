"""Landmark3DConsistencyLoss on hand-computed inputs (integer-length
offsets: (1, 2, 2) has length 3, (6, 0, 8) length 10)."""
import pytest
import torch

from mmface3d.registry import MODELS


def build(**kwargs):
    return MODELS.build(dict(type='Landmark3DConsistencyLoss', **kwargs))


def test_hand_computed_value_and_gradient():
    target = torch.rand(2, 68, 3, generator=torch.Generator().manual_seed(0))
    pred = target.clone()
    pred[0, 0] += torch.tensor([1.0, 2.0, 2.0])  # 3
    pred[0, 5] += torch.tensor([0.0, 0.0, -4.0])  # 4
    pred[1, 67] += torch.tensor([6.0, 0.0, 8.0])  # 10
    pred.requires_grad_(True)
    # per sample sums 7 and 10, mean 8.5, times 2
    value = build(loss_weight=2.0)(pred, target)
    assert value.item() == pytest.approx(17.0, rel=1e-5)
    value.backward()
    # d/dx ||x - y|| = unit vector, times 2 / B
    assert pred.grad[0, 0].tolist() == pytest.approx(
        [1 / 3, 2 / 3, 2 / 3], rel=1e-4)
    assert pred.grad[1, 67].tolist() == pytest.approx([0.6, 0.0, 0.8],
                                                      rel=1e-4)
    assert pred.grad[0, 1].tolist() == [0.0, 0.0, 0.0]


def test_identical_points_cost_nothing():
    points = torch.rand(1, 68, 3, requires_grad=True)
    value = build()(points, points.detach())
    assert value.item() == 0.0
    value.backward()
    assert torch.isfinite(points.grad).all()


def test_shape_errors():
    with pytest.raises(ValueError, match=r'\(B, 68, 3\)'):
        build()(torch.zeros(1, 68, 3), torch.zeros(1, 18, 3))
