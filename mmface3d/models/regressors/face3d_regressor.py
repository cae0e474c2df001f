"""A single-image 3DMM parameter regressor (3DDFA, 3DDFA_V2, 2DASL)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from torch import Tensor, nn

from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample


@MODELS.register_module()
class Face3DRegressor(BaseModel):
    """Backbone + parameter head, run by mmengine's loops.

    Subclasses that add training machinery (2DASL's critic, cycle pass and
    two optimisers) reuse :meth:`extract_feat` and the head and override
    :meth:`loss` or ``train_step``.

    Args:
        backbone (dict): Backbone config, e.g. ``MobileNetV1``, ``ResNet``.
        head (dict): Head config, e.g. ``ParamRegressionHead``.
        data_preprocessor (dict | nn.Module, optional): Preprocessor or its
            config. Defaults to
            ``dict(type='Face3DDataPreprocessor')`` (3 channels).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='Face3DDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here so the type resolves in mmface3d's registry even
            # when no default scope is set.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)

    @property
    def morphable_model(self):
        """The head's :class:`~mmface3d.models.MorphableModel`."""
        return self.head.morphable_model

    def parse_losses(self, losses: Dict[str, Tensor]
                     ) -> Tuple[Tensor, Dict[str, Tensor]]:
        """mmengine's sum of the ``loss`` terms, after checking each term
        is finite.

        Raises:
            FloatingPointError: A term is NaN or inf; the message names the
                iteration and the term, and the run stops before a NaN
                checkpoint is written.
        """
        for name, value in losses.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            if not all(torch.isfinite(v).all() for v in values):
                step = MessageHub.get_current_instance().get_info('iter')
                where = 'a training step' if step is None else \
                    f'iteration {step + 1}'
                shown = [v.detach().float().mean().item() for v in values]
                raise FloatingPointError(
                    f'{where}: loss term `{name}` is {shown}, not finite; '
                    'training stops here, before a NaN checkpoint (the last '
                    'checkpoint is intact). Lower the learning rate or check '
                    'the data')
        return super().parse_losses(losses)

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor]:
        """(B, C, H, W) inputs -> tuple of backbone features."""
        return self.backbone(inputs)

    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[Sequence[Face3DDataSample]] = None,
        mode: str = 'tensor'
    ) -> Union[Tensor, Dict[str, Tensor], Sequence[Face3DDataSample]]:
        """Run the model in one of mmengine's three modes.

        Args:
            inputs (Tensor): (B, C, H, W) preprocessed crops.
            data_samples (Sequence[Face3DDataSample], optional): One per
                input; required by ``'loss'`` and ``'predict'``.
            mode (str): ``'tensor'`` -> (B, P) whitened params, ``'predict'``
                -> data samples with ``pred_params`` / ``pred_landmarks`` /
                ``pred_pose``, ``'loss'`` -> dict of losses. Defaults to
                ``'tensor'``.

        Returns:
            Tensor | dict[str, Tensor] | Sequence[Face3DDataSample]: See
            ``mode``.
        """
        if mode == 'tensor':
            return self._forward(inputs)
        if data_samples is None:
            raise ValueError(f"Face3DRegressor mode '{mode}' needs "
                             'data_samples (one Face3DDataSample per input)')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f"Face3DRegressor: mode must be 'tensor', 'loss' or "
                         f"'predict', got {mode!r}")

    def _forward(self, inputs: Tensor) -> Tensor:
        """(B, C, H, W) inputs -> (B, P) whitened parameters."""
        return self.head(self.extract_feat(inputs))

    def loss(self, inputs: Tensor,
             data_samples: Sequence[Face3DDataSample]) -> Dict[str, Tensor]:
        """Losses of a batch, see the head's ``loss``."""
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(
        self, inputs: Tensor, data_samples: Sequence[Face3DDataSample]
    ) -> Sequence[Face3DDataSample]:
        """Predictions stored in the data samples, see the head's
        ``predict``."""
        return self.head.predict(self.extract_feat(inputs), data_samples)
