"""Temporal smoothing of the params of faces in a video."""
import math
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import Tensor, nn

from mmface3d.models.detectors import box_iou
from mmface3d.morphable import transform_params
from mmface3d.structures import Face3DDataSample
from .inference import decode_predictions

METHODS = ('ema', 'one_euro')


class ParamSmoother:
    """Smooths each face's params from frame to frame.

    Per-frame predictions jitter (the crop follows the detector box, and a
    regressor answers each crop independently). The smoother keeps one
    track per face, matched frame to frame by the IoU of the face boxes,
    and filters the face's *image-frame* params
    (:meth:`MorphableModel.image_params`: the crop moves, the face in the
    image does not), divided by the model's whitening std so that every
    dimension has a comparable unit; the smoothed face is mapped back into
    the frame's crop and decoded again
    (:func:`~mmface3d.apis.inference.decode_predictions`).

    Methods:

    - ``'ema'``: exponential moving average ``y = a x + (1 - a) y_prev``.
    - ``'one_euro'``: the One-Euro filter (Casiez et al., CHI 2012): an
      exponential average whose cut-off frequency grows with the (smoothed)
      speed, ``f_c = min_cutoff + beta |dx/dt|``, ``a = 1 / (1 + f_s / (2
      pi f_c))``: steady faces are smoothed hard, fast moves lag little.

    Args:
        method (str): ``'ema'`` or ``'one_euro'``. Defaults to ``'ema'``.
        alpha (float): EMA weight of the new frame, in (0, 1]. Defaults to
            0.5.
        min_cutoff (float): One-Euro minimum cut-off frequency (Hz).
            Defaults to 1.0.
        beta (float): One-Euro speed coefficient (per whitened unit per
            second). Defaults to 0.05.
        d_cutoff (float): One-Euro cut-off of the speed estimate (Hz).
            Defaults to 1.0.
        fps (float): Frame rate of the video. Defaults to 30.
        iou_thr (float): A face continues a track when its box overlaps the
            track's last box by at least this IoU. Defaults to 0.3.
    """

    def __init__(self,
                 method: str = 'ema',
                 alpha: float = 0.5,
                 min_cutoff: float = 1.0,
                 beta: float = 0.05,
                 d_cutoff: float = 1.0,
                 fps: float = 30.0,
                 iou_thr: float = 0.3) -> None:
        if method not in METHODS:
            raise ValueError(f'method must be one of {METHODS}, got '
                             f'{method!r}')
        if not 0 < alpha <= 1:
            raise ValueError(f'alpha must be in (0, 1], got {alpha}')
        if min(min_cutoff, d_cutoff, fps) <= 0 or beta < 0:
            raise ValueError('min_cutoff, d_cutoff and fps must be > 0 and '
                             'beta >= 0')
        self.method = method
        self.alpha = alpha
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.fps = fps
        self.iou_thr = iou_thr
        self.tracks: List[Dict] = []

    def reset(self) -> None:
        """Forget every track (a new video)."""
        self.tracks = []

    @staticmethod
    def _weight(cutoff: Tensor, fps: float) -> Tensor:
        return 1.0 / (1.0 + fps / (2 * math.pi * cutoff))

    def filter(self, x: Tensor, track: Optional[Dict]) -> Dict:
        """One filter step on (P,) normalised params; returns the new
        track state (``x`` the smoothed value)."""
        if track is None:
            return dict(x=x, dx=torch.zeros_like(x))
        if self.method == 'ema':
            return dict(x=self.alpha * x + (1 - self.alpha) * track['x'],
                        dx=track['dx'])
        dx = (x - track['x']) * self.fps
        a_d = self._weight(torch.tensor(self.d_cutoff), self.fps)
        dx = a_d * dx + (1 - a_d) * track['dx']
        a = self._weight(self.min_cutoff + self.beta * dx.abs(), self.fps)
        return dict(x=a * x + (1 - a) * track['x'], dx=dx)

    def __call__(self, model: nn.Module,
                 samples: List[Face3DDataSample]) -> List[Face3DDataSample]:
        """Smooth one frame's faces (in place) and return them; each gets
        the metainfo ``track_id``."""
        mm = model.morphable_model
        if not samples:
            self.tracks = []
            return samples
        params = torch.stack([s.pred_params for s in samples]).to(mm.u)
        affine = torch.stack([
            torch.as_tensor(s.metainfo['crop_affine'], dtype=torch.float32)
            for s in samples
        ]).to(mm.u)
        with torch.no_grad():
            image_params, _ = mm.image_params(params, affine)
        scale = mm.param_std if mm.param_stats is not None else \
            image_params.abs().mean(0).clamp(min=1e-6)
        boxes = torch.stack([s.bbox[:4] for s in samples]).double()
        matches = self._match(boxes)
        tracks, next_id = [], max([t['id'] for t in self.tracks] + [-1]) + 1
        smoothed = torch.empty_like(image_params)
        for i, sample in enumerate(samples):
            previous = matches.get(i)
            state = self.filter(image_params[i] / scale, previous)
            state['id'] = previous['id'] if previous else next_id
            next_id += previous is None
            state['box'] = boxes[i]
            tracks.append(state)
            smoothed[i] = state['x'] * scale
            sample.set_metainfo(dict(track_id=int(state['id'])))
        self.tracks = tracks
        crop = transform_params(smoothed, affine, mm.convention,
                                mm.crop_size)
        for i, sample in enumerate(samples):
            sample.pred_params = crop[i]
        decode_predictions(model, samples,
                           all('pred_vertices' in s for s in samples))
        return samples

    def _match(self, boxes: Tensor) -> Dict[int, Dict]:
        """Greedy IoU matching of this frame's boxes to the tracks."""
        if not self.tracks:
            return {}
        iou = box_iou(boxes, torch.stack([t['box'] for t in self.tracks]))
        iou = iou.numpy()
        matches = {}
        while iou.size and iou.max() >= self.iou_thr:
            i, k = np.unravel_index(int(iou.argmax()), iou.shape)
            matches[int(i)] = self.tracks[int(k)]
            iou[i, :] = -1
            iou[:, k] = -1
        return matches

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(method='{self.method}', "
                f'alpha={self.alpha}, min_cutoff={self.min_cutoff}, '
                f'beta={self.beta}, fps={self.fps})')
