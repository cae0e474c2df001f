"""ParamMSELoss on hand-computed cases."""
import pytest
import torch

from mmface3d.registry import MODELS


def test_hand_computed_value():
    loss = MODELS.build(dict(type='ParamMSELoss', loss_weight=2.0))
    pred = torch.tensor([[1.0, 2.0], [0.0, -1.0]])
    target = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    # squared errors 1, 4, 0, 4 -> mean 2.25, times 2.
    assert loss(pred, target).item() == pytest.approx(4.5)


def test_gradient():
    loss = MODELS.build(dict(type='ParamMSELoss'))
    pred = torch.tensor([[3.0]], requires_grad=True)
    loss(pred, torch.tensor([[1.0]])).backward()
    assert pred.grad.item() == pytest.approx(4.0)


def test_shape_mismatch_is_reported():
    loss = MODELS.build(dict(type='ParamMSELoss'))
    with pytest.raises(ValueError, match='differ'):
        loss(torch.zeros(2, 62), torch.zeros(2, 61))
