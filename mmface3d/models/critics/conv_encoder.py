"""Image encoder of the 2DASL self-critic."""
from typing import List, Optional, Sequence, Union

from mmengine.model import BaseModule
from torch import Tensor, nn

from mmface3d.registry import MODELS


@MODELS.register_module()
class ConvEncoder(BaseModule):
    """Stacked 3x3 conv + ReLU + 2x2 max-pool blocks mapping an image to z.

    The paper's self-critic encoder (REFERENCE.md section 5): six blocks by
    default, each a 3x3 convolution (padding 1) with a ReLU and a 2x2
    max-pool that halves the map (rounding down), so a 120x120 crop ends
    in a 1x1 map: 120 -> 60 -> 30 -> 15 -> 7 -> 3 -> 1. Whatever map is
    left (larger inputs) is average-pooled to one vector.

    Args:
        in_channels (int): Channels of the input, checked on every call:
            3 for the BGR crop the paper's critic sees (pass
            ``inputs[:, :3]`` of a 2DASL image + landmark-map input), 4 to
            let it see the map too. Defaults to 3.
        channels (Sequence[int]): Output channels of the blocks; the last
            is the size of z. Defaults to (32, 64, 128, 256, 256, 256).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Kaiming-normal (fan-out, ReLU) convolutions with
            zero biases.
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (32, 64, 128, 256, 256, 256),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = dict(
                type='Kaiming',
                layer='Conv2d',
                mode='fan_out',
                nonlinearity='relu')
        super().__init__(init_cfg=init_cfg)
        if not channels:
            raise ValueError('ConvEncoder needs at least one block')
        self.in_channels = in_channels
        self.channels = tuple(channels)
        self.out_channels = self.channels[-1]
        blocks = []
        for c_in, c_out in zip((in_channels, ) + self.channels[:-1],
                               self.channels):
            blocks += [
                nn.Conv2d(c_in, c_out, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2)
            ]
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)

    @property
    def min_size(self) -> int:
        """Smallest input side: each block needs a map of at least 2."""
        return 2**len(self.channels)

    def forward(self, images: Tensor) -> Tensor:
        """Encode images.

        Args:
            images (Tensor): (B, in_channels, H, W) network input, H and W
                at least ``2 ** len(channels)`` (64 by default).

        Returns:
            Tensor: (B, channels[-1]) codes z.
        """
        if images.ndim != 4 or images.shape[1] != self.in_channels or \
                min(images.shape[2:]) < self.min_size:
            raise ValueError(
                f'ConvEncoder expects (B, {self.in_channels}, H, W) images '
                f'with H, W >= {self.min_size}, got {tuple(images.shape)}')
        return self.pool(self.layers(images)).flatten(1)
