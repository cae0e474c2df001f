"""Export a model's regressor network to ONNX.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT OUT.onnx
        [--opset 17] [--check N]

The graph maps the packed network input ``inputs`` (B, C, 120, 120)
float32 (the normalised BGR crop, plus the landmark map for 4-channel
models) to ``params_white`` (B, P) whitened params, with a dynamic batch
axis; decoding (params, landmarks, pose, mesh) stays in torch. Run it with
``--backend onnxruntime --onnx OUT.onnx`` in the demos, or
``init_model(..., backend='onnxruntime', onnx_file=OUT.onnx)``.

``--check N`` runs onnxruntime and torch on N random inputs (batch N) and
prints the largest difference.
"""
import argparse

import torch

from mmface3d.apis import OnnxRegressor, export_regressor_onnx, init_model
from mmface3d.utils import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the regressor of a mmface3d model to ONNX')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='model weights')
    parser.add_argument('out_file', help='the .onnx file to write')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset')
    parser.add_argument(
        '--check',
        type=int,
        default=4,
        metavar='N',
        help='compare onnxruntime with torch on a batch of N random inputs '
        '(0: skip; default 4)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, detector=None)
    path = export_regressor_onnx(model, args.out_file, opset=args.opset)
    print(f'{path}: inputs (B, {model.data_preprocessor.num_channels}, '
          f'{model.morphable_model.crop_size}, '
          f'{model.morphable_model.crop_size}) -> params_white (B, '
          f'{model.head.num_params})')
    if args.check:
        inputs = torch.randn(args.check, model.data_preprocessor.num_channels,
                             model.morphable_model.crop_size,
                             model.morphable_model.crop_size)
        with torch.no_grad():
            expected = model(inputs, mode='tensor')
        got = OnnxRegressor(path)(inputs)
        print(f'onnxruntime vs torch on {args.check} random inputs: max '
              f'|difference| {(got - expected).abs().max().item():.3g} '
              '(whitened params)')
    return 0


if __name__ == '__main__':
    run_tool(main)
