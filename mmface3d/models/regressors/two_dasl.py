"""2DASL: a 3DMM regressor trained with 2D-assisted self-supervision."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict
from torch import Tensor, nn

from mmface3d.morphable import (FLM_INDICES, draw_flm_maps,
                                flm_visibility, select_flm_points)
from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample
from .face3d_regressor import Face3DRegressor

# The optimiser names of TwoDASLOptimWrapperConstructor.
REGRESSOR, CRITIC = 'regressor', 'critic'


def _active(loss: Optional[nn.Module]) -> bool:
    return loss is not None and loss.loss_weight != 0


@MODELS.register_module()
class TwoDASL(Face3DRegressor):
    """2DASL (Tu et al., 2019): a :class:`Face3DRegressor` trained on
    3D-annotated faces and on in-the-wild faces with 2D landmarks only.

    The input is the BGR crop plus the facial landmark map (FLM) of the
    2D landmarks (4 channels, stacked by the pipeline's ``LandmarkMap``) or
    the crop alone (3 channels: no cycle pass). Per training batch
    (REFERENCE.md section 5)::

        L = L_3d + l1 L_2d-con + l2 L_3d-con + l3 L_cyc + l4 L_sc

    - ``L_3d`` (``loss_3d``, WPDC): predicted vs ground-truth params of the
      3D-annotated samples (``gt_params``);
    - ``L_2d-con`` (``loss_2d``): the 18 map points of the input landmarks
      ``landmarks_2d_input`` vs the same points of the predicted face, for
      every sample with input landmarks (missing points masked);
    - the cycle pass draws a new FLM from the predicted landmarks and runs
      the regressor again on the same image: ``L_cyc`` (``loss_cycle``, the
      2D loss of the cycle prediction against the input landmarks) and
      ``L_3d-con`` (``loss_3d_con``, the 68 3D landmarks of both passes);
    - ``L_sc`` (``loss_adv`` on the regressor side): the self-critic scores
      in-the-wild images (samples without 3D annotation) with their
      predicted shape and expression; the regressor is trained to make
      them look real.

    ``train_step`` runs the regressor, updates the critic (``'critic'``,
    every ``critic_interval`` iterations, read from mmengine's
    ``MessageHub`` so the alternation survives resume) on real pairs
    (3D-annotated images with their ground-truth params) and fake pairs
    (in-the-wild images with the regressor's params), then updates the
    regressor (optimiser ``'regressor'``) with the critic frozen. A term
    whose ``loss_weight`` is 0, or that the batch cannot feed (no 3D sample,
    no input landmarks, no in-the-wild sample), is not computed. The loss
    configs are built from ``MODELS``; their weights are the paper's l1..l4
    unless a config says otherwise.

    Args:
        backbone (dict): Backbone config (``in_channels`` 4 or 3).
        head (dict): ``ParamRegressionHead`` config.
        critic (dict, optional): Self-critic config, e.g.
            ``dict(type='MLPCritic')``; None disables ``L_sc``. Defaults to
            None.
        loss_3d (dict): ``L_3d``. Defaults to ``WPDCLoss`` with weight 1.
        loss_2d (dict, optional): ``L_2d-con``. Defaults to
            ``Landmark2DConsistencyLoss`` with weight 0.005.
        loss_3d_con (dict, optional): ``L_3d-con``. Defaults to
            ``Landmark3DConsistencyLoss`` with weight 0.005.
        loss_cycle (dict, optional): ``L_cyc``. Defaults to
            ``Landmark2DConsistencyLoss`` with weight 1.
        loss_adv (dict, optional): The adversarial loss of both sides; its
            ``loss_weight`` is l4. Defaults to ``AdversarialLoss`` with weight
            0.005.
        critic_interval (int): The critic steps every this many iterations.
            Defaults to 1.
        flm_vertex_ids (Sequence, optional): 18 vertices of the head's
            morphable model (or 18 pairs, a point being the midpoint of its
            pair) whose projections stand for the 18 map points in
            ``L_2d-con``, ``L_cyc`` and the cycle pass's map, instead of the
            68-landmark definitions (:func:`select_flm_points`): for 2D
            labels that follow other definitions (AFLW's manual points;
            ``tools/analysis_tools/fit_flm_vertices.py`` finds them). The
            model then also predicts ``pred_flm_points`` (18, 3) in image
            pixels. Defaults to None.
        data_preprocessor (dict, optional): Defaults to a 4-channel
            ``Face3DDataPreprocessor``.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 critic: Optional[dict] = None,
                 loss_3d: Optional[dict] = dict(
                     type='WPDCLoss', loss_weight=1.0),
                 loss_2d: Optional[dict] = dict(
                     type='Landmark2DConsistencyLoss', loss_weight=0.005),
                 loss_3d_con: Optional[dict] = dict(
                     type='Landmark3DConsistencyLoss', loss_weight=0.005),
                 loss_cycle: Optional[dict] = dict(
                     type='Landmark2DConsistencyLoss', loss_weight=1.0),
                 loss_adv: Optional[dict] = dict(
                     type='AdversarialLoss', loss_weight=0.005),
                 critic_interval: int = 1,
                 flm_vertex_ids: Optional[Sequence[int]] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='Face3DDataPreprocessor', num_channels=4)
        super().__init__(
            backbone=backbone,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.critic = None if critic is None else MODELS.build(critic)
        self.loss_3d, self.loss_2d, self.loss_3d_con, self.loss_cycle, \
            self.loss_adv = (None if cfg is None else MODELS.build(cfg)
                             for cfg in (loss_3d, loss_2d, loss_3d_con,
                                         loss_cycle, loss_adv))
        if not isinstance(critic_interval, int) or critic_interval < 1:
            raise ValueError('critic_interval must be an int >= 1, got '
                             f'{critic_interval!r}')
        self.critic_interval = critic_interval
        if flm_vertex_ids is None:
            self.flm_vertex_ids = None
        else:
            ids = torch.as_tensor(flm_vertex_ids, dtype=torch.long)
            if ids.ndim == 1:
                ids = ids[:, None].expand(-1, 2)
            num = self.morphable_model.num_vertices
            if ids.shape != (len(FLM_INDICES), 2) or ids.min() < 0 or \
                    ids.max() >= num:
                raise ValueError(
                    f'flm_vertex_ids must be {len(FLM_INDICES)} vertex ids '
                    f'(or id pairs) of the head\'s {num}-vertex model, got '
                    f'{flm_vertex_ids}')
            self.register_buffer('flm_vertex_ids', ids, persistent=False)
        self.with_map = self.data_preprocessor.num_channels == 4
        if not self.with_map and (_active(self.loss_cycle)
                                  or _active(self.loss_3d_con)):
            raise ValueError(
                'TwoDASL: the cycle pass (loss_cycle, loss_3d_con) redraws '
                'the landmark map, so it needs 4-channel inputs '
                '(data_preprocessor num_channels=4); set both losses to None '
                'for a 3-channel model')
        if _active(self.loss_adv) and self.critic is None:
            raise ValueError('TwoDASL: loss_adv is set but critic is None')

    @property
    def uses_critic(self) -> bool:
        """Whether the self-critic takes part (a critic and a non-zero
        ``loss_adv``)."""
        return self.critic is not None and _active(self.loss_adv)

    def loss(self, inputs: Tensor,
             data_samples: Sequence[Face3DDataSample]) -> Dict[str, Tensor]:
        """The regressor's weighted loss terms of a batch (the critic is
        only read), see the class docstring."""
        return self._losses(inputs, data_samples, self._forward(inputs))

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One step: the critic (every ``critic_interval`` iterations), then
        the regressor.

        Args:
            data (dict): The dataloader's batch.
            optim_wrapper (OptimWrapperDict | OptimWrapper): With
                ``'regressor'`` and, when the critic takes part, ``'critic'``
                (:class:`~mmface3d.engine.TwoDASLOptimWrapperConstructor`); a
                single wrapper serves a model without critic.

        Returns:
            dict[str, Tensor]: Logged values: the loss terms, ``loss`` (their
            sum), and with the critic ``loss_critic``, ``critic_real`` /
            ``critic_fake`` (mean probability it gives real / fake pairs).
        """
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        regressor = optim_wrapper[REGRESSOR] if isinstance(
            optim_wrapper, OptimWrapperDict) else optim_wrapper
        with regressor.optim_context(self):
            pred_white = self._forward(inputs)
        critic_vars = {}
        step = MessageHub.get_current_instance().get_info('iter') or 0
        if self.uses_critic and step % self.critic_interval == 0:
            critic_vars = self._critic_step(optim_wrapper[CRITIC], inputs,
                                            samples, pred_white.detach())
        if self.critic is not None:
            self.critic.requires_grad_(False)
        try:
            with regressor.optim_context(self):
                loss, log_vars = self.parse_losses(
                    self._losses(inputs, samples, pred_white))
            regressor.update_params(loss)
        finally:
            if self.critic is not None:
                self.critic.requires_grad_(True)
        log_vars.update(critic_vars)
        return log_vars

    def _losses(self, inputs: Tensor, samples: Sequence[Face3DDataSample],
                pred_white: Tensor) -> Dict[str, Tensor]:
        """The weighted loss terms of the (B, P) whitened prediction of
        ``inputs``."""
        head, model = self.head, self.morphable_model
        losses = {}
        has_3d = self._has_3d(samples, inputs.device)
        if _active(self.loss_3d) and has_3d.any():
            target = head.gt_params(
                [s for s, keep in zip(samples, has_3d) if keep], 'loss')
            losses['loss_3d'] = self.loss_3d(pred_white[has_3d], target,
                                             model)

        points, visible = self._input_landmarks(samples, inputs)
        has_2d = visible.any(1)
        params = model.dewhiten(pred_white)
        landmarks = model.landmarks(params)
        pred_18 = self._flm_points(params, landmarks)
        target_18 = select_flm_points(points)
        visible_18 = flm_visibility(visible)
        if _active(self.loss_2d) and has_2d.any():
            losses['loss_2d_con'] = self.loss_2d(
                pred_18[has_2d], target_18[has_2d], visible_18[has_2d])

        if (_active(self.loss_cycle) or _active(self.loss_3d_con)) and \
                has_2d.any():
            maps = draw_flm_maps(pred_18, None, *inputs.shape[2:])
            cycle_params = model.dewhiten(
                self._forward(torch.cat([inputs[:, :3], maps[:, None]], 1)))
            cycle = model.landmarks(cycle_params)
            if _active(self.loss_cycle):
                losses['loss_cyc'] = self.loss_cycle(
                    self._flm_points(cycle_params, cycle)[has_2d],
                    target_18[has_2d], visible_18[has_2d])
            if _active(self.loss_3d_con):
                losses['loss_3d_con'] = self.loss_3d_con(
                    landmarks.transpose(1, 2), cycle.transpose(1, 2))

        fake = ~has_3d
        if self.uses_critic and fake.any():
            scores = self.critic(pred_white[fake], inputs[fake, :3])
            losses['loss_sc'] = self.loss_adv(
                scores, target_is_real=True, for_critic=False)
        if not losses:
            raise ValueError(
                'TwoDASL: no loss term applies to this batch (no '
                '3D-annotated sample and no input landmarks); check the '
                'datasets and the loss weights')
        return losses

    def _flm_points(self, params: Tensor, landmarks: Tensor) -> Tensor:
        """(B, 18, 2) crop-frame map points of raw params: the 18
        ``flm_vertex_ids`` vertices, or those of the (B, 3, 68) landmarks."""
        if self.flm_vertex_ids is None:
            return select_flm_points(landmarks[:, :2].transpose(1, 2))
        return self._pair_midpoints(params)[:, :2].transpose(1, 2)

    def _pair_midpoints(self, params: Tensor) -> Tensor:
        """(B, 3, 18) midpoints of the ``flm_vertex_ids`` pairs."""
        points = self.morphable_model.reconstruct(
            params, self.flm_vertex_ids.reshape(-1))
        return points.view(*points.shape[:2], -1, 2).mean(-1)

    def predict(self, inputs: Tensor, data_samples: Sequence[Face3DDataSample]
                ) -> Sequence[Face3DDataSample]:
        """The head's predictions and, with ``flm_vertex_ids``,
        ``pred_flm_points`` (18, 3): those vertices in image pixels."""
        data_samples = super().predict(inputs, data_samples)
        if self.flm_vertex_ids is None:
            return data_samples
        model = self.morphable_model
        params = torch.stack([s.pred_params for s in data_samples])
        affine = torch.stack([
            torch.as_tensor(s.metainfo['crop_affine']) for s in data_samples
        ]).to(params)
        image, _ = model.image_params(params, affine)
        points = model.normalize_image_depth(
            self._pair_midpoints(image)).transpose(1, 2)
        for sample, point in zip(data_samples, points):
            sample.pred_flm_points = point
        return data_samples

    def _critic_step(self, wrapper, inputs: Tensor,
                     samples: Sequence[Face3DDataSample],
                     pred_white: Tensor) -> Dict[str, Tensor]:
        """Update the critic on real (3D-annotated) and fake (in-the-wild,
        predicted) pairs; returns its logged values (nothing when the batch
        lacks either kind)."""
        has_3d = self._has_3d(samples, inputs.device)
        if not has_3d.any() or has_3d.all():
            return {}
        real_white = self.head.gt_params(
            [s for s, keep in zip(samples, has_3d) if keep], 'critic')
        with wrapper.optim_context(self.critic):
            real = self.critic(real_white.to(pred_white),
                               inputs[has_3d, :3])
            fake = self.critic(pred_white[~has_3d], inputs[~has_3d, :3])
            loss = self.loss_adv(real, target_is_real=True, for_critic=True) \
                + self.loss_adv(fake, target_is_real=False, for_critic=True)
        wrapper.update_params(loss)
        return dict(
            loss_critic=loss.detach(),
            critic_real=torch.sigmoid(real.detach()).mean(),
            critic_fake=torch.sigmoid(fake.detach()).mean())

    @staticmethod
    def _has_3d(samples: Sequence[Face3DDataSample],
                device: torch.device) -> Tensor:
        """(B,) bool: the samples with ground-truth params."""
        return torch.tensor(['gt_params' in s for s in samples],
                            dtype=torch.bool,
                            device=device)

    @staticmethod
    def _input_landmarks(samples: Sequence[Face3DDataSample],
                         inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """(B, 68, 2) crop-frame ``landmarks_2d_input`` (0 where a sample has
        none) and (B, 68) bool visibility (all False there)."""
        batch = len(samples)
        points = inputs.new_zeros(batch, 68, 2)
        visible = torch.zeros(
            batch, 68, dtype=torch.bool, device=inputs.device)
        for i, sample in enumerate(samples):
            if 'landmarks_2d_input' not in sample:
                continue
            points[i] = sample.landmarks_2d_input.to(points)
            visible[i] = sample.landmarks_2d_input_visible.to(visible) \
                if 'landmarks_2d_input_visible' in sample else True
        return points, visible
