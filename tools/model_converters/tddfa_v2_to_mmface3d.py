"""Convert the released 3DDFA_V2 MobileNetV1 checkpoint (e.g.
``mb05_120x120.pth``) into a ``Face3DRegressor`` checkpoint.

The release stores ``{'epoch', 'state_dict'}`` with ``module.``-prefixed
keys: the backbone, ``fc_param`` (the 62 whitened parameters) and
``fc_lm`` (an auxiliary 68-landmark head that inference does not use).

Usage: python tools/model_converters/tddfa_v2_to_mmface3d.py SRC DST
"""
from typing import Dict

from torch import Tensor

from mmface3d.utils.weight_conversion import convert_released, converter_main

HEAD_KEYS = {
    'fc_param.weight': 'head.fc.weight',
    'fc_param.bias': 'head.fc.bias',
}
DROP_PREFIXES = ('fc_lm.', )


def convert(src: str, dst: str) -> Dict[str, Tensor]:
    """Convert ``src`` and write ``dst``; return the converted state dict."""
    return convert_released(src, dst, 'tddfa_v2_to_mmface3d', HEAD_KEYS,
                            DROP_PREFIXES)


if __name__ == '__main__':
    converter_main(convert, __doc__)
