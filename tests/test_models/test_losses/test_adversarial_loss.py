"""AdversarialLoss on logits 0 and +-2, against -log(sigmoid) written out."""
import math

import pytest
import torch

from mmface3d.registry import MODELS

LOGITS = [0.0, 2.0, -2.0]


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def mean(values):
    return sum(values) / len(values)


def build(**kwargs):
    return MODELS.build(dict(type='AdversarialLoss', **kwargs))


@pytest.mark.parametrize('form', ['paper', 'bce'])
def test_critic_side(form):
    loss = build(form=form, loss_weight=2.0)
    logits = torch.tensor(LOGITS)
    real = mean([-math.log(sigmoid(x)) for x in LOGITS])
    fake = mean([-math.log(1 - sigmoid(x)) for x in LOGITS])
    assert loss(logits, True, True).item() == pytest.approx(2 * real)
    assert loss(logits, False, True).item() == pytest.approx(2 * fake)
    # logit 0: D = 0.5, log 2 either way
    assert loss(torch.zeros(3), True, True).item() == pytest.approx(
        2 * math.log(2))


def test_regressor_side_paper_is_minimax():
    """The paper's regressor minimises log(1 - D(fake)): the negative of
    the critic's fake term."""
    loss = build(form='paper')
    logits = torch.tensor(LOGITS, requires_grad=True)
    value = loss(logits, True, False)
    assert value.item() == pytest.approx(
        mean([math.log(1 - sigmoid(x)) for x in LOGITS]))
    assert value.item() == pytest.approx(-loss(logits, False, True).item())
    value.backward()
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l)
    assert logits.grad.tolist() == pytest.approx(
        [-sigmoid(x) / 3 for x in LOGITS])


def test_regressor_side_bce_is_non_saturating():
    loss = build(form='bce')
    logits = torch.tensor(LOGITS, requires_grad=True)
    value = loss(logits, True, False)
    assert value.item() == pytest.approx(
        mean([-math.log(sigmoid(x)) for x in LOGITS]))
    value.backward()
    # d/dl -log(sigmoid(l)) = sigmoid(l) - 1
    assert logits.grad.tolist() == pytest.approx(
        [(sigmoid(x) - 1) / 3 for x in LOGITS])
    # a confidently rejected fake (logit -10): the paper's gradient
    # vanishes, the bce one does not
    rejected = torch.tensor([-10.0], requires_grad=True)
    build(form='paper')(rejected, True, False).backward()
    assert abs(rejected.grad.item()) < 1e-4
    rejected.grad = None
    loss(rejected, True, False).backward()
    assert rejected.grad.item() == pytest.approx(-1.0, abs=1e-4)


@pytest.mark.parametrize('form', ['paper', 'bce'])
def test_extreme_logits_stay_finite(form):
    logits = torch.tensor([-200.0, 200.0], requires_grad=True)
    loss = build(form=form)
    values = [loss(logits, real, critic) for real, critic in
              ((True, True), (False, True), (True, False))]
    assert all(torch.isfinite(v) for v in values)
    sum(values).backward()
    assert torch.isfinite(logits.grad).all()
    # -log D(real) at logit -200 is 200 (mean over two logits: 100)
    assert values[0].item() == pytest.approx(100.0)


def test_errors():
    with pytest.raises(ValueError, match='form'):
        build(form='hinge')
    with pytest.raises(ValueError, match='target_is_real=True'):
        build()(torch.zeros(2), False, False)
    with pytest.raises(ValueError, match=r'\(B,\)'):
        build()(torch.zeros(2, 1), True, True)
