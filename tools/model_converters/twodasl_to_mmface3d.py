"""Convert the released 2DASL ResNet-50 checkpoint (e.g.
``2DASL_checkpoint_epoch_allParams_stage2.pth.tar``) into a
``Face3DRegressor`` checkpoint for
``configs/2dasl/2dasl_r50_released_120x120.py``.

The release stores the regressor under ``res_state_dict`` (older snapshots
under ``state_dict``) with ``module.``-prefixed torchvision-layout keys: a
4-channel ``conv1`` and ``fc`` (2048 -> 62 whitened parameters). Other
top-level entries (the critic, optimiser states) are not converted.

Usage: python tools/model_converters/twodasl_to_mmface3d.py SRC DST
"""
from typing import Dict

from torch import Tensor

from mmface3d.utils.weight_conversion import convert_released, converter_main

HEAD_KEYS = {'fc.weight': 'head.fc.weight', 'fc.bias': 'head.fc.bias'}
CONTAINER_KEYS = ('res_state_dict', 'state_dict')


def convert(src: str, dst: str) -> Dict[str, Tensor]:
    """Convert ``src`` and write ``dst``; return the converted state dict."""
    return convert_released(
        src,
        dst,
        'twodasl_to_mmface3d',
        HEAD_KEYS,
        container_keys=CONTAINER_KEYS)


if __name__ == '__main__':
    converter_main(convert, __doc__)
