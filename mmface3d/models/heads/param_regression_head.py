"""Regression of whitened 3DMM parameters from a pooled feature."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmface3d.morphable import convert_convention
from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample


@MODELS.register_module()
class ParamRegressionHead(BaseModule):
    """A linear layer from the backbone feature to whitened parameters.

    ``forward`` gives whitened parameters (the space the 3DDFA-family
    networks are trained in); ``predict`` de-whitens them with the head's
    morphable model and decodes landmarks and pose in the original image
    through each sample's ``crop_affine``; ``loss`` whitens the raw ground
    truth with the same model and compares the two through a loss built
    from ``loss``.

    Args:
        in_channels (int): Channels of the pooled backbone feature.
        num_params (int): Number of regressed parameters; must equal the
            morphable model's ``num_params``. Defaults to 62.
        morphable_model (dict): Config of the
            :class:`~mmface3d.models.MorphableModel` that defines the
            parameters (whitening, flip convention, landmarks). Defaults to
            the 3DDFA v1 model.
        loss (dict): Config of a parameter loss called as
            ``loss(pred_white, target_white, morphable_model)`` on
            (B, num_params) tensors (``ParamMSELoss``, ``WPDCLoss``,
            ``VDCLoss``).
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
               crop_affine: Tensor) -> Dict[str, Tensor]:
        """Raw parameters, image-frame landmarks and pose (differentiable).

        Args:
            params_white (Tensor): (B, num_params) whitened parameters.
            crop_affine (Tensor): (B, 2, 3) image-to-crop affines of the
                crops (each sample's ``crop_affine``).

        Returns:
            dict[str, Tensor]: ``params`` (B, num_params) raw crop-frame
            parameters, ``landmarks`` (B, 68, 3) original-image points and
            ``pose`` (B, 3) ``[yaw, pitch, roll]`` in degrees of the face in
            the original image (:meth:`MorphableModel.image_landmarks`,
            :meth:`MorphableModel.image_pose`).
        """
        mm = self.morphable_model
        params = mm.dewhiten(params_white)
        return dict(
            params=params,
            landmarks=mm.image_landmarks(params, crop_affine),
            pose=mm.image_pose(params, crop_affine))

    def predict(
        self, feats: Tuple[Tensor], data_samples: Sequence[Face3DDataSample]
    ) -> Sequence[Face3DDataSample]:
        """Predict and store ``pred_params``, ``pred_landmarks`` and
        ``pred_pose`` (detached) in each data sample, and the morphable
        model's ``mesh_cfg`` as metainfo ``pred_morphable_model``.

        Args:
            feats (tuple[Tensor]): Backbone features, see :meth:`forward`.
            data_samples (Sequence[Face3DDataSample]): One per input, each
                with the metainfo ``crop_affine`` (2, 3) of its crop.

        Returns:
            Sequence[Face3DDataSample]: The same samples, with predictions.
        """
        params_white = self.forward(feats).detach()
        crop_affine = self._stack_field(data_samples, 'crop_affine', 6,
                                        'predict').to(params_white)
        decoded = self.decode(params_white, crop_affine.view(-1, 2, 3))
        mesh_cfg = self.morphable_model.mesh_cfg
        for i, sample in enumerate(data_samples):
            sample.pred_params = decoded['params'][i]
            sample.pred_landmarks = decoded['landmarks'][i]
            sample.pred_pose = decoded['pose'][i]
            sample.set_metainfo(dict(pred_morphable_model=mesh_cfg))
        return data_samples

    def loss(self, feats: Tuple[Tensor],
             data_samples: Sequence[Face3DDataSample]) -> Dict[str, Tensor]:
        """Loss between predicted and ground-truth whitened parameters.

        The ground truth is every sample's raw ``gt_params``, converted to
        this head's params convention (metainfo ``params_convention``) and
        whitened with this head's morphable model, so targets and
        predictions always share one frame and one set of whitening
        statistics.

        Args:
            feats (tuple[Tensor]): Backbone features, see :meth:`forward`.
            data_samples (Sequence[Face3DDataSample]): One per input, each
                with ``gt_params`` (num_params,) raw crop-frame parameters.

        Returns:
            dict[str, Tensor]: ``loss_params``.
        """
        params_white = self.forward(feats)
        target = self.gt_params(data_samples, 'loss')
        return dict(
            loss_params=self.loss_module(params_white,
                                         target.to(params_white),
                                         self.morphable_model))

    def gt_params(self, data_samples: Sequence[Face3DDataSample],
                  caller: str) -> Tensor:
        """(B, num_params) whitened ground truth of the samples, in this
        head's params convention.

        Raises:
            ValueError: The head's morphable model has no whitening
                statistics, or a sample's ``params_convention`` is missing.
        """
        mm = self.morphable_model
        if mm.param_stats is None:
            raise ValueError(
                f'ParamRegressionHead.{caller}: the morphable model was built '
                'with param_stats=None, so the ground truth cannot be '
                "whitened; set its param_stats (e.g. 'bfm/param_whitening."
                "pkl')")
        target = self._stack_field(data_samples, 'gt_params',
                                   self.num_params, caller).to(mm.u)
        conventions = [s.metainfo.get('params_convention') for s in
                       data_samples]
        missing = [i for i, c in enumerate(conventions) if c is None]
        if missing:
            raise KeyError(f'ParamRegressionHead.{caller}: samples {missing} '
                           'have `gt_params` without the metainfo '
                           "`params_convention` ('v1' or 'v2')")
        for convention in set(conventions):
            rows = torch.tensor([c == convention for c in conventions],
                                device=target.device)
            target = torch.where(
                rows[:, None],
                convert_convention(target, convention, mm.convention,
                                   mm.crop_size), target)
        return mm.whiten(target)

    @staticmethod
    def _stack_field(data_samples: Sequence[Face3DDataSample], key: str,
                     size: int, caller: str) -> Tensor:
        """(B, size) float32 stack of the field or metainfo ``key`` of every
        sample, with errors naming the field, the sample and ``caller``."""
        missing = [i for i, s in enumerate(data_samples) if key not in s]
        if missing:
            raise KeyError(f'ParamRegressionHead.{caller} needs `{key}` '
                           f'({size},) in every data sample; samples '
                           f'{missing} of the batch have none')
        values = [
            torch.as_tensor(s.get(key), dtype=torch.float32).reshape(-1)
            for s in data_samples
        ]
        wrong = {
            i: v.numel()
            for i, v in enumerate(values) if v.numel() != size
        }
        if wrong:
            raise ValueError(f'ParamRegressionHead.{caller}: data sample '
                             f'field `{key}` must hold {size} values, got '
                             f'{wrong} (sample index: count)')
        return torch.stack(values)
