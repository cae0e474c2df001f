"""Regression of whitened 3DMM parameters from a pooled feature."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample


@MODELS.register_module()
class ParamRegressionHead(BaseModule):
    """A linear layer from the backbone feature to whitened parameters.

    ``forward`` gives whitened parameters (the space the 3DDFA-family
    networks are trained in); ``predict`` de-whitens them with the head's
    morphable model and decodes landmarks and pose; ``loss`` compares
    whitened parameters with the ground truth through a loss built from
    ``loss``.

    Args:
        in_channels (int): Channels of the pooled backbone feature.
        num_params (int): Number of regressed parameters; must equal the
            morphable model's ``num_params``. Defaults to 62.
        morphable_model (dict): Config of the
            :class:`~mmface3d.models.MorphableModel` that defines the
            parameters (whitening, flip convention, landmarks). Defaults to
            the 3DDFA v1 model.
        loss (dict): Config of a loss called as
            ``loss(pred_white, target_white)`` on (B, num_params) tensors.
            Defaults to ``dict(type='ParamMSELoss')``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to :attr:`default_init_cfg`.
    """

    def __init__(self,
                 in_channels: int,
                 num_params: int = 62,
                 morphable_model: dict = dict(type='MorphableModel'),
                 loss: dict = dict(type='ParamMSELoss'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = self.default_init_cfg
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_params = num_params
        self.morphable_model = MODELS.build(morphable_model)
        if self.morphable_model.num_params != num_params:
            raise ValueError(
                f'ParamRegressionHead: num_params={num_params} but the '
                'morphable model has '
                f'{self.morphable_model.num_params} parameters')
        self.loss_module = MODELS.build(loss)
        self.fc = nn.Linear(in_channels, num_params)

    @property
    def default_init_cfg(self) -> List[dict]:
        """Small normal weights so the first predictions sit near the mean
        face (whitened zero)."""
        return [dict(type='Normal', layer='Linear', std=0.01, bias=0)]

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Regress whitened parameters.

        Args:
            feats (tuple[Tensor]): Backbone features; the last one is used,
                (B, in_channels).

        Returns:
            Tensor: (B, num_params) whitened parameters.
        """
        feat = feats[-1]
        if feat.ndim != 2 or feat.shape[1] != self.in_channels:
            raise ValueError(
                f'ParamRegressionHead expects a (B, {self.in_channels}) '
                f'pooled feature, got {tuple(feat.shape)}')
        return self.fc(feat)

    def decode(self, params_white: Tensor,
               roi_box: Tensor) -> Dict[str, Tensor]:
        """Raw parameters, image-frame landmarks and pose (differentiable).

        Args:
            params_white (Tensor): (B, num_params) whitened parameters.
            roi_box (Tensor): (B, 4) crop boxes ``[sx, sy, ex, ey]`` in the
                original images.

        Returns:
            dict[str, Tensor]: ``params`` (B, num_params) raw crop-frame
            parameters, ``landmarks`` (B, 68, 3) original-image points and
            ``pose`` (B, 3) ``[yaw, pitch, roll]`` in degrees.
        """
        mm = self.morphable_model
        params = mm.dewhiten(params_white)
        landmarks = mm.crop_to_image(mm.landmarks(params), roi_box)
        return dict(
            params=params,
            landmarks=landmarks.transpose(1, 2),
            pose=mm.pose(params))

    def predict(
        self, feats: Tuple[Tensor], data_samples: Sequence[Face3DDataSample]
    ) -> Sequence[Face3DDataSample]:
        """Predict and store ``pred_params``, ``pred_landmarks`` and
        ``pred_pose`` (detached) in each data sample.

        Args:
            feats (tuple[Tensor]): Backbone features, see :meth:`forward`.
            data_samples (Sequence[Face3DDataSample]): One per input, each
                with the metainfo ``roi_box`` (4,) of its crop.

        Returns:
            Sequence[Face3DDataSample]: The same samples, with predictions.
        """
        params_white = self.forward(feats).detach()
        roi_box = self._stack_roi_boxes(data_samples).to(params_white)
        decoded = self.decode(params_white, roi_box)
        for i, sample in enumerate(data_samples):
            sample.pred_params = decoded['params'][i]
            sample.pred_landmarks = decoded['landmarks'][i]
            sample.pred_pose = decoded['pose'][i]
        return data_samples

    def loss(self, feats: Tuple[Tensor],
             data_samples: Sequence[Face3DDataSample]) -> Dict[str, Tensor]:
        """Loss between predicted and ground-truth whitened parameters.

        Args:
            feats (tuple[Tensor]): Backbone features, see :meth:`forward`.
            data_samples (Sequence[Face3DDataSample]): One per input, each
                with ``gt_params_white`` (num_params,) or ``gt_params``
                (num_params,).

        Returns:
            dict[str, Tensor]: ``loss_params``.
        """
        params_white = self.forward(feats)
        target = self.stack_targets(data_samples).to(params_white)
        return dict(loss_params=self.loss_module(params_white, target))

    def stack_targets(self,
                      data_samples: Sequence[Face3DDataSample]) -> Tensor:
        """(B, num_params) whitened ground truth of a batch.

        Uses ``gt_params_white`` when every sample has it, else whitens
        ``gt_params``.
        """
        for key in ('gt_params_white', 'gt_params'):
            if all(key in sample for sample in data_samples):
                target = torch.stack(
                    [torch.as_tensor(s.get(key)) for s in data_samples])
                if target.shape[1:] != (self.num_params, ):
                    raise ValueError(f'data sample field `{key}` has shape '
                                     f'{tuple(target.shape[1:])}, expected '
                                     f'({self.num_params},)')
                if key == 'gt_params':
                    target = self.morphable_model.whiten(
                        target.to(self.morphable_model.param_mean))
                return target
        raise KeyError('ParamRegressionHead.loss needs `gt_params_white` or '
                       '`gt_params` (num_params,) in every data sample')

    @staticmethod
    def _stack_roi_boxes(data_samples: Sequence[Face3DDataSample]) -> Tensor:
        """(B, 4) crop boxes from the samples' metainfo ``roi_box``."""
        boxes = []
        for sample in data_samples:
            if 'roi_box' not in sample.metainfo:
                raise KeyError('ParamRegressionHead.predict needs the '
                               'metainfo `roi_box` [sx, sy, ex, ey] of '
                               'every data sample')
            box = torch.as_tensor(
                sample.metainfo['roi_box'], dtype=torch.float32)
            if box.numel() != 4:
                raise ValueError('metainfo `roi_box` must hold 4 values '
                                 f'[sx, sy, ex, ey], got {box.tolist()}')
            boxes.append(box.reshape(4))
        return torch.stack(boxes)
