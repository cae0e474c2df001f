"""Bottleneck ResNet with the options of the released 2DASL model."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log
from mmengine.model import BaseModule, initialize
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from torch import Tensor, nn

from mmface3d.registry import MODELS
from mmface3d.utils.checkpoint import state_dict_mismatch
from mmface3d.utils.weight_conversion import widen_input_channels

# Bottleneck blocks per stage.
DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
EXPANSION = 4
STEM_CHANNELS = 64
# Initialisation of every layer that no checkpoint provides.
RANDOM_INIT = [
    dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
    dict(type='Constant', layer='BatchNorm2d', val=1, bias=0)
]


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand, with an identity or projection
    shortcut.

    Args:
        in_channels (int): Input channels.
        mid_channels (int): Channels of the 3x3 conv; the output has
            ``4 * mid_channels``.
        stride (int): Stride of the 3x3 conv and of the shortcut.
    """

    def __init__(self, in_channels: int, mid_channels: int,
                 stride: int) -> None:
        super().__init__()
        out_channels = mid_channels * EXPANSION
        self.conv1 = nn.Conv2d(
            in_channels, mid_channels, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.conv2 = nn.Conv2d(
            mid_channels,
            mid_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.conv3 = nn.Conv2d(
            mid_channels, out_channels, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(
                    in_channels,
                    out_channels,
                    kernel_size=1,
                    stride=stride,
                    bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, H, W) -> (B, 4 * mid_channels, H / stride, W / stride)."""
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + shortcut)


@MODELS.register_module()
class ResNet(BaseModule):
    """Bottleneck ResNet (50 / 101 / 152) returning one pooled feature.

    Module names follow the torchvision layout (``conv1``, ``bn1``,
    ``layer1.0.conv1``, ``layer1.0.downsample.0`` ...), so ImageNet state
    dicts of that layout load directly through
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``. Their ``fc.*``
    classifier is skipped (logged). ``conv1`` is adapted explicitly
    (:func:`~mmface3d.utils.weight_conversion.widen_input_channels`): the
    ImageNet filters read RGB, mmface3d's crops are BGR, so the three image
    filters are reversed (``channel_order='rgb'`` in the ``Pretrained``
    entry, the default; ``'bgr'`` keeps them), and the extra input channels
    (2DASL's landmark map) start with zero filters. Any other tensor whose
    shape differs is an error.

    The released 2DASL ResNet-50 uses ``in_channels=4``,
    ``strides=(1, 2, 2, 1)`` and ``pool_kernel=7, pool_stride=2``: on a
    120x120 input the last map is 8x8 and that pool averages its top-left
    7x7 window.

    Args:
        depth (int): 50, 101 or 152. Defaults to 50.
        in_channels (int): Input channels. Defaults to 3.
        strides (Sequence[int]): Stride of each of the four stages.
            Defaults to (1, 2, 2, 2).
        pool_kernel (int, optional): Kernel of a plain average pool over the
            last map; None for a global average pool. Defaults to None.
        pool_stride (int, optional): Stride of that pool; None means
            ``pool_kernel``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config; a
            ``Pretrained`` entry loads a torchvision-layout state dict.
            Defaults to Kaiming-normal (fan-out) convs and unit BN scales.
    """

    def __init__(self,
                 depth: int = 50,
                 in_channels: int = 3,
                 strides: Sequence[int] = (1, 2, 2, 2),
                 pool_kernel: Optional[int] = None,
                 pool_stride: Optional[int] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = copy.deepcopy(RANDOM_INIT)
        super().__init__(init_cfg=init_cfg)
        if depth not in DEPTHS:
            raise ValueError(
                f'ResNet depth must be one of {sorted(DEPTHS)}, got {depth}')
        if len(strides) != len(DEPTHS[depth]):
            raise ValueError(f'strides must give one stride per stage (4), '
                             f'got {tuple(strides)}')
        self.depth = depth
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(
            in_channels,
            STEM_CHANNELS,
            kernel_size=7,
            stride=2,
            padding=3,
            bias=False)
        self.bn1 = nn.BatchNorm2d(STEM_CHANNELS)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        channels = STEM_CHANNELS
        for i, (num_blocks, stride) in enumerate(zip(DEPTHS[depth], strides)):
            mid = STEM_CHANNELS * 2**i
            blocks = []
            for j in range(num_blocks):
                blocks.append(
                    Bottleneck(channels, mid, stride if j == 0 else 1))
                channels = mid * EXPANSION
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        self.out_channels = channels
        if pool_kernel is None:
            self.avgpool = nn.AdaptiveAvgPool2d(1)
        else:
            self.avgpool = nn.AvgPool2d(
                pool_kernel, stride=pool_stride or pool_kernel)

    def init_weights(self) -> None:
        """Random init, then the ``Pretrained`` checkpoint if one is set.

        mmengine would apply ``Pretrained`` with a plain non-strict load; this
        override skips the classifier and mismatched tensors on purpose and
        initialises the layers the checkpoint cannot fill.
        """
        cfgs = self.init_cfg if isinstance(self.init_cfg,
                                           list) else [self.init_cfg]
        pretrained = [cfg for cfg in cfgs if cfg.get('type') == 'Pretrained']
        if not pretrained:
            super().init_weights()
            return
        if len(pretrained) > 1:
            raise ValueError('ResNet init_cfg holds more than one '
                             f'Pretrained entry: {pretrained}')
        others = [cfg for cfg in cfgs if cfg.get('type') != 'Pretrained']
        initialize(self, others or RANDOM_INIT)
        self.load_pretrained(pretrained[0]['checkpoint'],
                             pretrained[0].get('map_location', 'cpu'),
                             pretrained[0].get('channel_order', 'rgb'))
        self._is_init = True

    def load_pretrained(self,
                        checkpoint: str,
                        map_location: str = 'cpu',
                        channel_order: str = 'rgb') -> None:
        """Load a torchvision-layout ResNet state dict.

        ``fc.*`` is skipped with a log message, ``conv1.weight`` is widened
        to ``in_channels`` (and reversed to BGR for ``channel_order='rgb'``);
        any other missing or mismatched key is an error.

        Args:
            checkpoint (str): Path (or any mmengine checkpoint URI) of a
                state dict, or of a dict holding it under ``state_dict``.
            map_location (str): Device to load onto. Defaults to 'cpu'.
            channel_order (str): ``'rgb'`` (ImageNet weights) or ``'bgr'``
                (a network that already reads BGR crops). Defaults to
                ``'rgb'``.
        """
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError("channel_order must be 'rgb' or 'bgr', got "
                             f'{channel_order!r}')
        loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location)
        state_dict: Dict[str, Tensor] = dict(loaded.get('state_dict', loaded))
        if 'conv1.weight' not in state_dict:
            raise KeyError(f'{checkpoint} has no conv1.weight: not a '
                           'torchvision-layout ResNet state dict')
        state_dict['conv1.weight'] = widen_input_channels(
            state_dict['conv1.weight'], self.in_channels,
            rgb_to_bgr=channel_order == 'rgb')
        skipped = sorted(k for k in state_dict if k.startswith('fc.'))
        if skipped:
            print_log(
                f'{checkpoint}: skipped the ImageNet classifier {skipped}',
                logger='current')
            state_dict = {
                k: v
                for k, v in state_dict.items() if k not in skipped
            }
        # older torchvision releases predate BN's step counter
        for key, value in self.state_dict().items():
            if key.endswith('num_batches_tracked'):
                state_dict.setdefault(key, value)
        problem = state_dict_mismatch(self, state_dict)
        if problem:
            raise KeyError(
                f'{checkpoint} is not a torchvision-layout ResNet-'
                f'{self.depth} state dict for this network: {problem}')
        load_state_dict(self, state_dict, strict=True, logger='current')

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Extract pooled features.

        Args:
            x (Tensor): (B, in_channels, H, W) network input.

        Returns:
            tuple[Tensor]: One (B, out_channels) pooled feature vector.
        """
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'ResNet expects (B, {self.in_channels}, H, W) inputs, '
                f'got {tuple(x.shape)}')
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x)
        if x.shape[2:] != (1, 1):
            raise ValueError(
                f'ResNet pooling left a {tuple(x.shape[2:])} map, expected '
                '1x1: pool_kernel / pool_stride do not fit this input size')
        return (x.flatten(1), )
