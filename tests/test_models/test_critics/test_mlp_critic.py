"""MLPCritic: the paper's [z, alpha] critic and the released MLP on the
expression parameters, with hand-counted sizes."""
import pytest
import torch
from torch import nn

from mmface3d.registry import MODELS

RELEASED = dict(
    type='MLPCritic',
    param_slice=(52, 62),
    encoder=None,
    activation='leaky_relu',
    dropout=0.4)
SMALL_ENCODER = dict(type='ConvEncoder', channels=(4, 4, 4, 4, 4, 8))


def linear_shapes(critic):
    return [(m.in_features, m.out_features) for m in critic.modules()
            if isinstance(m, nn.Linear)]


def test_paper_critic_scores_image_param_pairs():
    critic = MODELS.build(dict(type='MLPCritic'))
    critic.init_weights()
    logits = critic(torch.randn(2, 62), torch.randn(2, 3, 120, 120))
    assert logits.shape == (2, )
    # z (256) + shape and expression (50)
    assert linear_shapes(critic) == [(306, 512), (512, 1024), (1024, 1024),
                                     (1024, 1)]


def test_four_channel_encoder():
    critic = MODELS.build(
        dict(
            type='MLPCritic',
            encoder=dict(SMALL_ENCODER, in_channels=4),
            hidden=(16, )))
    assert critic(torch.randn(3, 62), torch.randn(3, 4, 120,
                                                  120)).shape == (3, )
    with pytest.raises(ValueError, match=r'\(B, 4, H, W\)'):
        critic(torch.randn(3, 62), torch.randn(3, 3, 120, 120))


def test_released_critic_is_an_mlp_on_expression():
    critic = MODELS.build(RELEASED)
    assert not any(isinstance(m, nn.Conv2d) for m in critic.modules())
    assert linear_shapes(critic) == [(10, 512), (512, 1024), (1024, 1024),
                                     (1024, 1)]
    expected = (10 * 512 + 512) + (512 * 1024 + 1024) + (
        1024 * 1024 + 1024) + (1024 + 1)
    assert expected == 1581569
    assert sum(p.numel() for p in critic.parameters()) == expected
    slopes = [m.negative_slope for m in critic.modules()
              if isinstance(m, nn.LeakyReLU)]
    drops = [m.p for m in critic.modules() if isinstance(m, nn.Dropout)]
    assert slopes == [0.2] * 3 and drops == [0.4] * 3


def test_released_critic_sees_only_its_slice():
    torch.manual_seed(0)
    critic = MODELS.build(RELEASED)
    critic.init_weights()
    critic.eval()
    params = torch.randn(4, 62)
    logits = critic(params)
    assert logits.shape == (4, )
    changed = params.clone()
    changed[:, :52] = 100.0  # pose and shape: unseen
    assert torch.equal(critic(changed), logits)
    # images are ignored without an encoder
    assert torch.equal(critic(params, torch.randn(4, 3, 120, 120)), logits)
    # a new critic is undecided: D within (0.12, 0.88)
    assert logits.abs().max() < 2.0
    critic.train()
    assert not torch.equal(critic(params), critic(params))  # dropout


def test_gradients_reach_encoder_and_mlp():
    torch.manual_seed(0)
    critic = MODELS.build(
        dict(type='MLPCritic', encoder=SMALL_ENCODER, hidden=(32, 32)))
    critic.init_weights()
    params = torch.randn(4, 62, requires_grad=True)
    critic(params, torch.randn(4, 3, 120, 120)).sum().backward()
    for name, parameter in critic.named_parameters():
        assert parameter.grad is not None, name
        assert parameter.grad.abs().sum() > 0, name
    assert (params.grad[:, :12] == 0).all()
    assert (params.grad[:, 12:] != 0).any()


def test_errors():
    critic = MODELS.build(dict(type='MLPCritic', encoder=SMALL_ENCODER))
    with pytest.raises(ValueError, match='pass the images'):
        critic(torch.randn(2, 62))
    with pytest.raises(ValueError, match='2 images for 3'):
        critic(torch.randn(3, 62), torch.randn(2, 3, 120, 120))
    with pytest.raises(ValueError, match=r'\(B, >=62\)'):
        critic(torch.randn(2, 50), torch.randn(2, 3, 120, 120))
    with pytest.raises(ValueError, match='activation'):
        MODELS.build(dict(RELEASED, activation='tanh'))
    with pytest.raises(ValueError, match='param_slice'):
        MODELS.build(dict(RELEASED, param_slice=(10, 10)))
    with pytest.raises(ValueError, match='dropout'):
        MODELS.build(dict(RELEASED, dropout=1.0))
