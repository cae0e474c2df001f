"""Sparse 68-point alignment on AFLW2000-3D, the 2DASL paper's headline
protocol."""
from typing import Dict, List, Sequence

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

    Per-sample keys read: ``img_id``, ``img_path`` (optional check),
    ``pred_landmarks`` (68, 3) in original-image pixels.

    The arguments are those of :class:`BaseAFLW2000Metric`: ``ann_root``,
    ``gt`` (``'ori'`` or ``'re'``), ``subset`` (``'2000'`` or ``'1998'``),
    ``pose_file``, ``allow_partial``, ``data_root``, ``collect_device``,
    ``prefix`` and ``collect_dir``.
    """

    def process(self, data_batch, data_samples: Sequence[Sample]) -> None:
        """Keep ``img_id`` and ``pred_landmarks`` of each sample."""
        for sample in data_samples:
            self.results.append(
                dict(
                    img_id=self._sample_id(sample),
                    pred_landmarks=sample_array(sample, 'pred_landmarks',
                                                (68, 3))))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """NME of all images at once, summarised by yaw bucket."""
        ids, rows = self._select(results)
        pred = np.stack([r['pred_landmarks'] for r in rows])
        gt = self.ann['landmarks'][ids]
        if self.gt == 're':
            nmes = {'nme_68_2d_re': aflw2000_landmark_nme(pred, gt, '2d')}
        else:
            nmes = {
                'nme_68_2d': aflw2000_landmark_nme(pred, gt, '2d'),
                'nme_68_3d': aflw2000_landmark_nme(pred, gt, '3d'),
            }
        title = f'68-point NME (%), {self.gt} ground truth'
        return self._report(nmes, ids, title)
