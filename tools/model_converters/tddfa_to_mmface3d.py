"""Convert a released 3DDFA (v1) MobileNetV1 checkpoint (e.g.
``phase1_wpdc_vdc.pth.tar``, width 1.0) into a ``Face3DRegressor``
checkpoint.

The release stores ``{'state_dict': ...}`` with ``module.``-prefixed keys:
the backbone and ``fc`` (1024 -> 62 whitened parameters).

Usage: python tools/model_converters/tddfa_to_mmface3d.py SRC DST
"""
from typing import Dict

from torch import Tensor

from mmface3d.utils.weight_conversion import convert_released, converter_main

HEAD_KEYS = {'fc.weight': 'head.fc.weight', 'fc.bias': 'head.fc.bias'}


def convert(src: str, dst: str) -> Dict[str, Tensor]:
    """Convert ``src`` and write ``dst``; return the converted state dict."""
    return convert_released(src, dst, 'tddfa_to_mmface3d', HEAD_KEYS)


if __name__ == '__main__':
    converter_main(convert, __doc__)
