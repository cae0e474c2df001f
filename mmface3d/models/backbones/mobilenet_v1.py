"""MobileNetV1 as used by 3DDFA and 3DDFA_V2."""
from typing import List, Optional, Tuple, Union

from mmengine.model import BaseModule
from torch import Tensor, nn

from mmface3d.registry import MODELS

# (name, input channels, output channels, stride) of the depthwise-separable
# blocks at width 1.0; the names match the released 3DDFA / 3DDFA_V2
# checkpoints so their weights map one to one.
BLOCKS = (
    ('dw2_1', 32, 64, 1),
    ('dw2_2', 64, 128, 2),
    ('dw3_1', 128, 128, 1),
    ('dw3_2', 128, 256, 2),
    ('dw4_1', 256, 256, 1),
    ('dw4_2', 256, 512, 2),
    ('dw5_1', 512, 512, 1),
    ('dw5_2', 512, 512, 1),
    ('dw5_3', 512, 512, 1),
    ('dw5_4', 512, 512, 1),
    ('dw5_5', 512, 512, 1),
    ('dw5_6', 512, 1024, 2),
    ('dw6', 1024, 1024, 1),
)
STEM_CHANNELS = 32


class DepthwiseSeparableBlock(nn.Module):
    """3x3 depthwise conv + BN + ReLU, then 1x1 pointwise conv + BN + ReLU.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise conv.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 stride: int) -> None:
        super().__init__()
        self.conv_dw = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            groups=in_channels,
            bias=False)
        self.bn_dw = nn.BatchNorm2d(in_channels)
        self.conv_sep = nn.Conv2d(
            in_channels, out_channels, kernel_size=1, bias=False)
        self.bn_sep = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, H, W) -> (B, C_out, H / stride, W / stride)."""
        x = self.relu(self.bn_dw(self.conv_dw(x)))
        return self.relu(self.bn_sep(self.conv_sep(x)))


@MODELS.register_module()
class MobileNetV1(BaseModule):
    """MobileNetV1 with a width multiplier, the 3DDFA / 3DDFA_V2 variant.

    A 3x3 stride-2 stem followed by 13 depthwise-separable blocks (five of
    them stride 2) and a global average pool. Channel counts are
    ``int(c * widen_factor)`` of the width-1.0 counts (32 ... 1024), so a
    120x120 input ends in a 4x4 map of ``int(1024 * widen_factor)``
    channels before pooling. Module names follow the released checkpoints
    (``conv1``, ``bn1``, ``dw2_1`` ... ``dw6`` with ``conv_dw``, ``bn_dw``,
    ``conv_sep``, ``bn_sep``).

    Args:
        widen_factor (float): Width multiplier: 1.0 for 3DDFA, 0.5 for the
            3DDFA_V2 release. Defaults to 1.0.
        in_channels (int): Input channels: 3 for a BGR crop, 4 with a
            2DASL landmark map. Defaults to 3.
        norm_eval (bool): Keep the BatchNorm layers in eval mode (running
            statistics frozen) while training, e.g. to fine-tune a released
            model on small batches. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Kaiming-normal (fan-out) convs and unit BN scales.
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 in_channels: int = 3,
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(
                    type='Kaiming',
                    layer='Conv2d',
                    mode='fan_out',
                    nonlinearity='relu'),
                dict(type='Constant', layer='BatchNorm2d', val=1, bias=0)
            ]
        super().__init__(init_cfg=init_cfg)
        if widen_factor <= 0:
            raise ValueError(
                f'widen_factor must be positive, got {widen_factor}')
        self.widen_factor = widen_factor
        self.in_channels = in_channels
        self.norm_eval = norm_eval
        stem = int(STEM_CHANNELS * widen_factor)
        self.conv1 = nn.Conv2d(
            in_channels, stem, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        for name, c_in, c_out, stride in BLOCKS:
            self.add_module(
                name,
                DepthwiseSeparableBlock(
                    int(c_in * widen_factor), int(c_out * widen_factor),
                    stride))
        self.out_channels = int(BLOCKS[-1][2] * widen_factor)
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def train(self, mode: bool = True) -> 'MobileNetV1':
        """Switch modes; with ``norm_eval`` the BN layers stay in eval."""
        super().train(mode)
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Extract pooled features.

        Args:
            x (Tensor): (B, in_channels, H, W) network input.

        Returns:
            tuple[Tensor]: One (B, out_channels) pooled feature vector.
        """
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'MobileNetV1 expects (B, {self.in_channels}, H, W) inputs, '
                f'got {tuple(x.shape)}')
        x = self.relu(self.bn1(self.conv1(x)))
        for name, *_ in BLOCKS:
            x = getattr(self, name)(x)
        return (self.avgpool(x).flatten(1), )
