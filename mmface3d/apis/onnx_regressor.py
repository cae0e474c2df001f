"""The regressor network in ONNX: export, and an onnxruntime backend."""
import warnings
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor, nn

INPUT_NAME = 'inputs'
OUTPUT_NAME = 'params_white'


class RegressorNetwork(nn.Module):
    """The exportable part of a
    :class:`~mmface3d.models.Face3DRegressor`: backbone and head,
    (B, C, H, W) network input -> (B, P) whitened params (the model's
    ``'tensor'`` mode). Decoding the params (de-whitening, landmarks, pose,
    mesh) stays in torch."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Tensor) -> Tensor:
        return self.model(inputs, mode='tensor')


def export_regressor_onnx(model: nn.Module,
                          out_file: Union[str, Path],
                          num_channels: Optional[int] = None,
                          crop_size: Optional[int] = None,
                          opset: int = 17) -> Path:
    """Export a regressor's network to ONNX with a dynamic batch axis.

    Input ``inputs`` (B, C, crop, crop) float32, the normalised crop (and
    landmark map) as the test pipeline packs it; output ``params_white``
    (B, P) float32. torch's TorchScript-based exporter is used (no
    onnxscript needed); the model is exported in eval mode and left so.

    Args:
        model (nn.Module): A :class:`Face3DRegressor`.
        out_file (str | Path): The ``.onnx`` file to write.
        num_channels (int, optional): Input channels; None takes the data
            preprocessor's ``num_channels`` (3, or 4 with a landmark map).
        crop_size (int, optional): Input side; None takes the morphable
            model's ``crop_size``.
        opset (int): ONNX opset. Defaults to 17.

    Returns:
        Path: ``out_file``.
    """
    if num_channels is None:
        num_channels = model.data_preprocessor.num_channels
    if crop_size is None:
        crop_size = model.morphable_model.crop_size
    network = RegressorNetwork(model).eval()
    device = next(model.parameters()).device
    dummy = torch.zeros(1, num_channels, crop_size, crop_size, device=device)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # the shape checks of the backbone and head trace as constants:
        # right for every batch size, which is the only dynamic axis
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        _export(network, dummy, out_file, opset)
    return out_file


def _export(network: nn.Module, dummy: Tensor, out_file: Path,
            opset: int) -> None:
    torch.onnx.export(
        network, (dummy, ),
        str(out_file),
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_axes={
            INPUT_NAME: {
                0: 'batch'
            },
            OUTPUT_NAME: {
                0: 'batch'
            }
        },
        opset_version=opset,
        dynamo=False)


class OnnxRegressor:
    """An exported regressor network run by onnxruntime (CPU).

    Args:
        onnx_file (str | Path): File written by
            :func:`export_regressor_onnx`.
        num_threads (int, optional): onnxruntime's intra-op threads; None
            lets it choose (all cores). Defaults to None.

    Raises:
        ImportError: onnxruntime is not installed.
        ValueError: The file's input is not ``inputs`` (B, C, H, W).
    """

    def __init__(self,
                 onnx_file: Union[str, Path],
                 num_threads: Optional[int] = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise ImportError('the onnxruntime backend needs `pip install '
                              'onnxruntime`') from err
        options = ort.SessionOptions()
        # idle onnxruntime threads would spin against torch's (detector,
        # decoding) in the same process
        options.add_session_config_entry('session.intra_op.allow_spinning',
                                         '0')
        if num_threads is not None:
            options.intra_op_num_threads = num_threads
        self.onnx_file = str(onnx_file)
        self.session = ort.InferenceSession(
            self.onnx_file, options, providers=['CPUExecutionProvider'])
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != INPUT_NAME or \
                len(inputs[0].shape) != 4:
            raise ValueError(
                f'{onnx_file}: expected one input `{INPUT_NAME}` (B, C, H, '
                f'W), got {[(i.name, i.shape) for i in inputs]}; export it '
                'with tools/deployment/export_onnx.py')
        self.num_channels = inputs[0].shape[1]

    def __call__(self, inputs: Union[Tensor, np.ndarray]) -> Tensor:
        """(B, C, H, W) network input -> (B, P) float32 whitened params
        (a CPU tensor)."""
        if isinstance(inputs, Tensor):
            inputs = inputs.detach().cpu().numpy()
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        if inputs.ndim != 4 or inputs.shape[1] != self.num_channels:
            raise ValueError(
                f'{self.onnx_file} takes (B, {self.num_channels}, H, W) '
                f'inputs, got {inputs.shape}')
        return torch.from_numpy(
            self.session.run([OUTPUT_NAME], {INPUT_NAME: inputs})[0])

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.onnx_file!r})'
