"""Sparse 68-point alignment on AFLW2000-3D, the 2DASL paper's headline
protocol."""
from typing import Dict, List

import numpy as np

from mmface3d.registry import METRICS
from ..functional import aflw2000_landmark_nme, sample_array
from ..functional.sample_fields import Sample
from .base_aflw2000_metric import BaseAFLW2000Metric


@METRICS.register_module()
class AFLW2000Metric(BaseAFLW2000Metric):
    """68-point NME on AFLW2000-3D (REFERENCE.md section 6).

    Per image: the mean over the 68 points of the Euclidean error in
    original-image pixels, divided by ``sqrt(w * h)`` of the ground-truth
    68-point 2D bbox. 2D uses (x, y); 3D (original ground truth only) uses
    (x, y, z) with z shifted to a minimum of 0 on both sides. Reported in
    percent per yaw bucket, see :class:`BaseAFLW2000Metric`.

    Metric names (prefix ``aflw2000`` or ``aflw1998``):
    ``nme_68_2d_{0-30,30-60,60-90,mean3,std3,all}`` and
    ``nme_68_3d_{...}`` for the original ground truth;
    ``nme_68_2d_re_{...}`` for the re-annotated one (2D only). ``mean3`` is
    the papers' "Mean" (mean of the three bucket means), ``std3`` their
    population std, ``all`` the mean over all images.

    Per-sample keys read: ``img_id``, ``yaw``, ``gt_landmarks_img`` ((68, 3)
    original or (68, 2) re-annotated ground truth, as the dataset's
    ``gt_landmarks`` chose) and ``pred_landmarks`` (68, 3), both in
    original-image pixels.

    Args:
        gt (str): Which ground truth the samples carry: ``'ori'``
            (``AFLW2000-3D.pts68.npy``, 3D) or ``'re'``
            (``AFLW2000-3D-Reannotated.pts68.npy``, 2D); it names the
            metrics. Defaults to ``'ori'``.
        **kwargs: :class:`BaseAFLW2000Metric` arguments (``subset``,
            ``allow_partial``, ``collect_device``, ``prefix``,
            ``collect_dir``).
    """

    def __init__(self, gt: str = 'ori', **kwargs) -> None:
        if gt not in ('ori', 're'):
            raise ValueError(f"gt must be 'ori' or 're', got {gt!r}")
        super().__init__(**kwargs)
        self.gt = gt

    def process_sample(self, sample: Sample) -> dict:
        """``img_id``, ``yaw``, the ground truth and ``pred_landmarks`` of
        one sample."""
        # the original annotation is 3D, the re-annotation 2D: the width
        # tells which one the dataset attached
        result = self._sample_gt(sample, (3, ) if self.gt == 'ori' else (2, ))
        result['pred_landmarks'] = sample_array(sample, 'pred_landmarks',
                                                (68, 3))
        return result

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """NME of all images at once, summarised by yaw bucket."""
        rows = self._select(results)
        pred = np.stack([r['pred_landmarks'] for r in rows])
        gt = np.stack([r['gt_landmarks'] for r in rows])
        if self.gt == 're':
            nmes = {'nme_68_2d_re': aflw2000_landmark_nme(pred, gt, '2d')}
        else:
            nmes = {
                'nme_68_2d': aflw2000_landmark_nme(pred, gt, '2d'),
                'nme_68_3d': aflw2000_landmark_nme(pred, gt, '3d'),
            }
        title = f'68-point NME (%), {self.gt} ground truth'
        return self._report(nmes, rows, title)
