"""Batches face crops (3 image channels, optionally a landmark map)."""
from typing import Optional

import torch
from mmengine.model import BaseDataPreprocessor

from mmface3d.registry import MODELS


@MODELS.register_module()
class Face3DDataPreprocessor(BaseDataPreprocessor):
    """Stack ``inputs``, cast them to float and move the batch to the device.

    It does not normalise: the pipeline's ``NormalizeFace`` already mapped
    the BGR crop to ``(x - 127.5) / 128`` and the landmark map (2DASL's 4th
    channel) must stay -1 / +1. mmengine's ``ImgDataPreprocessor`` cannot
    carry that 4th channel.

    Args:
        num_channels (int): Expected channels per input: 3 (BGR crop) or 4
            (crop + landmark map). Defaults to 3.
        non_blocking (bool): Asynchronous host-to-device copies. Defaults to
            False.
    """

    def __init__(self,
                 num_channels: int = 3,
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if num_channels not in (3, 4):
            raise ValueError('Face3DDataPreprocessor: num_channels must be 3 '
                             '(BGR crop) or 4 (crop + landmark map), got '
                             f'{num_channels}')
        self.num_channels = num_channels

    def forward(self, data: dict, training: bool = False) -> dict:
        """Batch the inputs.

        Args:
            data (dict): ``inputs``: a list of (C, H, W) tensors or a
                (B, C, H, W) tensor; ``data_samples`` (optional): a list of
                :class:`Face3DDataSample`.
            training (bool): Unused; kept for mmengine's interface.

        Returns:
            dict: ``inputs`` (B, C, H, W) float32 on the device and
            ``data_samples`` on the device (None when absent).
        """
        if 'inputs' not in data:
            raise KeyError('Face3DDataPreprocessor: the batch has no '
                           '`inputs` key (expected a list of (C, H, W) '
                           'tensors from PackFace3DInputs)')
        data = self.cast_data(data)
        inputs = data['inputs']
        if not isinstance(inputs, torch.Tensor):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError('Face3DDataPreprocessor: inputs of one batch '
                                 f'must share a shape, got {sorted(shapes)}')
            inputs = torch.stack(list(inputs))
        if inputs.ndim != 4 or inputs.shape[1] != self.num_channels:
            raise ValueError(
                f'Face3DDataPreprocessor: expected inputs of shape '
                f'(B, {self.num_channels}, H, W) (num_channels='
                f'{self.num_channels}), got {tuple(inputs.shape)}; set '
                'num_channels=4 for crops with a landmark map')
        return dict(
            inputs=inputs.float(), data_samples=data.get('data_samples'))
