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

    Per-sample keys read: ``img_id``, ``img_path`` (optional check),
    ``pred_params`` (P,) raw crop params, ``roi_box`` (4,).

    Args:
        morphable_model (dict, optional): Config of the morphable model of
            the predictions (convention and vertices). Defaults to the 3DDFA
            v1 model (``dict(type='MorphableModel', param_stats=None)``).
        fit_root (str): Folder of the ``.mat`` fits. Defaults to
            ``'aflw2000_3d/AFLW2000'``.
        roi_box_file (str): Released crop boxes in ``ann_root``. Defaults to
            ``'AFLW2000-3D_crop.roi_box.npy'``.
        img_height (float): Image height of the fits. Defaults to 450.
        chunk_size (int): Meshes rebuilt at once. Defaults to 50.
        ann_root (str): Defaults to ``'aflw2000_3d/annotations'``.
        subset (str): ``'2000'`` or ``'1998'``. Defaults to ``'2000'``.
        pose_file (str): Yaw file. Defaults to ``'AFLW2000-3D.pose.npy'``.
        allow_partial (bool): Evaluate an incomplete set. Defaults to False.
        data_root (str, optional): Explicit data root. Defaults to None.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'aflw{subset}'``.
        collect_dir (str, optional): Defaults to None.
    """

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Dense NME of all images, meshes rebuilt chunk by chunk."""
        ids, rows = self._select(results)
        norm = bbox_size(self.ann['landmarks'][ids], ids=ids)
        nme_2d, nme_3d = np.empty(len(ids)), np.empty(len(ids))
        for part, pred, gt in self._meshes(ids, rows):
            nme_2d[part] = point_nme(pred[..., :2], gt[..., :2], norm[part])
            nme_3d[part] = point_nme(
                zero_min_z(pred), zero_min_z(gt), norm[part])
        name = f'nme_dense_{self.gt_tag}'
        return self._report({
            f'{name}_2d': nme_2d,
            f'{name}_3d': nme_3d
        }, ids, f'Dense NME (%), {self.gt_tag} ground-truth meshes')
