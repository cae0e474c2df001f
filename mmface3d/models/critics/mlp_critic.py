"""The 2DASL self-critic: an MLP scoring [z, alpha] pairs."""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmface3d.registry import MODELS

LEAKY_SLOPE = 0.2
ACTIVATIONS = ('relu', 'leaky_relu')


@MODELS.register_module()
class MLPCritic(BaseModule):
    """Fully connected critic of (image code, parameter) pairs.

    The paper's self-critic (REFERENCE.md section 5): an encoder maps the
    image to z and the MLP (hidden 512, 1024, 1024, then 1) scores the
    concatenation ``[z, alpha]``, ``alpha = params_white[:, param_slice]``
    (shape and expression by default). Real pairs are 3D-annotated images
    with their ground-truth params, fake ones in-the-wild images with
    predicted params.

    With ``encoder=None`` it scores ``alpha`` alone: the released code's
    critic is ``MLPCritic(param_slice=(52, 62), encoder=None,
    activation='leaky_relu', dropout=0.4)``, 10 -> 512 -> 1024 -> 1024 -> 1
    on the expression parameters.

    The output is a logit: the sigmoid of both the paper and the released
    code is applied by :class:`~mmface3d.models.losses.AdversarialLoss`.

    Args:
        param_slice (tuple[int, int]): ``(start, stop)`` columns of the
            whitened params that the critic sees. Defaults to (12, 62).
        encoder (dict, optional): Config of the image encoder (it must
            expose ``out_channels``, the size of z), or None for a critic
            of the params alone. Defaults to ``dict(type='ConvEncoder')``.
        hidden (Sequence[int]): Widths of the hidden layers. Defaults to
            (512, 1024, 1024).
        activation (str): ``'relu'`` or ``'leaky_relu'`` (slope 0.2) after
            each hidden layer. Defaults to ``'relu'``.
        dropout (float): Dropout probability after each hidden activation;
            0 for none. Defaults to 0.0.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Kaiming-normal (fan-in, matching the activation)
            hidden layers with zero biases and an output layer drawn from
            N(0, 0.01) so that a new critic scores every pair near
            ``D = 0.5``. The encoder keeps its own default.
    """

    def __init__(self,
                 param_slice: Tuple[int, int] = (12, 62),
                 encoder: Optional[dict] = dict(type='ConvEncoder'),
                 hidden: Sequence[int] = (512, 1024, 1024),
                 activation: str = 'relu',
                 dropout: float = 0.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError("activation must be 'relu' or 'leaky_relu', "
                             f'got {activation!r}')
        if init_cfg is None:
            init_cfg = dict(
                type='Kaiming',
                layer='Linear',
                mode='fan_in',
                a=LEAKY_SLOPE if activation == 'leaky_relu' else 0,
                nonlinearity=activation,
                override=dict(name='fc_out', type='Normal', std=0.01))
        super().__init__(init_cfg=init_cfg)
        start, stop = param_slice
        if not 0 <= start < stop:
            raise ValueError(
                f'param_slice must be (start, stop) with 0 <= start < stop, '
                f'got {param_slice}')
        if not 0 <= dropout < 1:
            raise ValueError(f'dropout must be in [0, 1), got {dropout}')
        self.param_slice = (start, stop)
        self.activation = activation
        self.dropout = dropout
        self.encoder = None if encoder is None else MODELS.build(
            copy.deepcopy(encoder))
        in_features = stop - start
        if self.encoder is not None:
            in_features += self.encoder.out_channels
        layers = []
        for width in hidden:
            layers.append(nn.Linear(in_features, width))
            layers.append(
                nn.ReLU(inplace=True) if activation ==
                'relu' else nn.LeakyReLU(LEAKY_SLOPE, inplace=True))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            in_features = width
        self.mlp = nn.Sequential(*layers)
        self.fc_out = nn.Linear(in_features, 1)

    def forward(self,
                params_white: Tensor,
                images: Optional[Tensor] = None) -> Tensor:
        """Score (image, params) pairs.

        Args:
            params_white (Tensor): (B, P) whitened params, P >= the end of
                ``param_slice``.
            images (Tensor, optional): (B, C, H, W) images for the encoder
                (see its ``in_channels``); required with an encoder, ignored
                without one. Defaults to None.

        Returns:
            Tensor: (B,) logits, high for pairs judged real.
        """
        start, stop = self.param_slice
        if params_white.ndim != 2 or params_white.shape[1] < stop:
            raise ValueError(
                f'MLPCritic expects (B, >={stop}) whitened params, got '
                f'{tuple(params_white.shape)}')
        features = params_white[:, start:stop]
        if self.encoder is not None:
            if images is None:
                raise ValueError(
                    'MLPCritic has an image encoder: pass the images')
            if images.shape[0] != params_white.shape[0]:
                raise ValueError(
                    f'MLPCritic: {images.shape[0]} images for '
                    f'{params_white.shape[0]} params vectors')
            features = torch.cat([self.encoder(images), features], 1)
        return self.fc_out(self.mlp(features)).squeeze(1)
