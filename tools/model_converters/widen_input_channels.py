"""Give an mmface3d checkpoint's first convolution more input channels.

    python tools/model_converters/widen_input_channels.py SRC DST \\
        [--channels 4] [--key backbone.conv1.weight]

A 3-channel model (e.g. the converted 3DDFA_V2 MobileNetV1-0.5) becomes the
starting point of a 4-channel 2DASL model: the added channel (the facial
landmark map) gets zero filters, so the widened model predicts exactly what
the source did, whatever map it is given, until training grows those
filters (:func:`mmface3d.utils.weight_conversion.widen_input_channels`).
Start a run from it with ``load_from=DST``.
"""
import argparse

from mmface3d.utils import run_tool
from mmface3d.utils.checkpoint import load_checkpoint_file
from mmface3d.utils.weight_conversion import (save_converted,
                                              widen_input_channels)


def widen(src: str, dst: str, channels: int = 4,
          key: str = 'backbone.conv1.weight') -> dict:
    """Write ``dst``: ``src``'s state dict with ``key`` widened to
    ``channels`` input channels; returns the new state dict."""
    checkpoint = load_checkpoint_file(src, map_location='cpu')
    state_dict = dict(checkpoint.get('state_dict', checkpoint))
    if key not in state_dict:
        found = [k for k in state_dict if k.endswith('conv1.weight')]
        raise KeyError(f'{src} has no `{key}`; first convolutions it holds: '
                       f'{found}')
    state_dict[key] = widen_input_channels(state_dict[key], channels)
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    save_converted(state_dict, dst, src, 'widen_input_channels',
                   dict(meta, input_channels=channels))
    return state_dict


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='mmface3d checkpoint')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--channels', type=int, default=4,
                        help='input channels wanted (default 4)')
    parser.add_argument('--key', default='backbone.conv1.weight',
                        help="the first convolution's weight")
    args = parser.parse_args()
    widen(args.src, args.dst, args.channels, args.key)
    print(f'wrote {args.dst}: {args.key} now reads {args.channels} channels')


if __name__ == '__main__':
    run_tool(main)
