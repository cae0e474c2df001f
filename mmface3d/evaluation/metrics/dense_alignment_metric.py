"""Dense alignment on AFLW2000-3D: every vertex of the mesh."""
from typing import Dict, List

import numpy as np

from mmface3d.registry import METRICS
from ..functional import bbox_size, point_nme, zero_min_z
from .base_aflw2000_metric import BaseAFLW2000MeshMetric


@METRICS.register_module()
class DenseAlignmentMetric(BaseAFLW2000MeshMetric):
    """Dense-alignment NME on AFLW2000-3D (REFERENCE.md section 6).

    Per image: the mean over all vertices of the morphable model's mesh of
    the Euclidean error between the predicted and the ground-truth mesh in
    original-image pixels, divided by ``sqrt(w * h)`` of the bbox of the
    original 68-point annotation (``AFLW2000-3D.pts68.npy``), as the sparse
    protocol. 2D uses (x, y); 3D uses (x, y, z) with z shifted to a minimum
    of 0 on both meshes. The ground-truth mesh is rebuilt from the fits
    truncated to the model's components (40 + 10 by default), hence the
    ``gt40+10`` in the names.

    Metric names (prefix ``aflw2000`` or ``aflw1998``):
    ``nme_dense_gt40+10_2d_{0-30,30-60,60-90,mean3,std3,all}`` and
    ``nme_dense_gt40+10_3d_{...}``, in percent.

    Per-sample keys read: see :class:`BaseAFLW2000MeshMetric`.

    Args:
        morphable_model (dict, optional): Config of the morphable model of
            the predictions; None takes it from their metainfo. Defaults to
            None.
        symlist (str): BFM ``model_info.mat`` (predictions on mirrored
            crops). Defaults to ``'bfm/model_info.mat'``.
        data_root (str, optional): Data root of the BFM files. Defaults to
            None.
        chunk_size (int): Meshes rebuilt at once. Defaults to 50.
        subset (str): ``'2000'`` or ``'1998'``. Defaults to ``'2000'``.
        allow_partial (bool): Evaluate an incomplete set. Defaults to False.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'aflw{subset}'``.
        collect_dir (str, optional): Defaults to None.
    """

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Dense NME of all images, meshes rebuilt chunk by chunk."""
        rows = self._select(results)
        norm = bbox_size(np.stack([r['gt_landmarks'] for r in rows]))
        nme_2d, nme_3d = np.empty(len(rows)), np.empty(len(rows))
        for part, pred, gt in self._meshes(rows):
            nme_2d[part] = point_nme(pred[..., :2], gt[..., :2], norm[part])
            nme_3d[part] = point_nme(
                zero_min_z(pred), zero_min_z(gt), norm[part])
        name = f'nme_dense_{self.gt_tag(rows)}'
        return self._report({
            f'{name}_2d': nme_2d,
            f'{name}_3d': nme_3d
        }, rows, f'Dense NME (%), {self.gt_tag(rows)} ground-truth meshes')
