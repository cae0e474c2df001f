"""3D face reconstruction on AFLW2000-3D: the mesh after rigid ICP."""
from typing import Dict, List

import numpy as np

from mmface3d.registry import METRICS
from ..functional import (apply_transform, bbox_size, point_nme, rigid_icp,
                          rigid_transform, zero_min_z)
from .base_aflw2000_metric import BaseAFLW2000MeshMetric


@METRICS.register_module()
class Reconstruction3DMetric(BaseAFLW2000MeshMetric):
    """3D reconstruction NME on AFLW2000-3D (REFERENCE.md section 6).

    Per image: every ``step``-th vertex of both meshes (only these are
    reconstructed) in original-image pixels, z shifted to a minimum of 0
    over the kept vertices; the prediction is aligned onto the ground truth
    by rigid ICP (:func:`rigid_icp`: rotation and translation, plus scale if
    ``with_scale``) until the mean closest-point distance changes by less
    than ``tol``. ICP starts from the point clouds as predicted
    (``init='identity'``, the protocol), or from the closed-form rigid fit
    of the vertex pairs (``init='correspondence'``; both clouds share the
    model's vertex order): with the protocol's absolute stopping rule, ICP
    from the identity can stop on a plateau (a perfect shape rotated by 10
    degrees may keep ~1-2 % NME). The error is the mean distance of each
    aligned predicted point to its closest ground-truth point
    (``distance='closest'``, the paper's protocol) or to the ground-truth
    point of the same vertex (``'corresponding'``), divided by
    ``sqrt(w * h)`` of the (x, y) bbox of the kept ground-truth vertices.
    The ground-truth mesh comes from the fits truncated to the model's
    components (40 + 10 by default), hence ``gt40+10`` in the names.

    Metric names (prefix ``aflw2000`` or ``aflw1998``):
    ``recon_nme_gt40+10_{0-30,30-60,60-90,mean3,std3,all}``, in percent;
    options other than the protocol's add tags before ``gt40+10``:
    ``corr`` (``distance='corresponding'``), ``vinit``
    (``init='correspondence'``), ``scaled`` (``with_scale``).

    Per-sample keys read: see :class:`BaseAFLW2000MeshMetric`.

    Args:
        step (int): Keep every ``step``-th vertex. Defaults to 50.
        tol (float): ICP stops when the error changes by less than this
            (pixels). Defaults to 0.01.
        max_iter (int): Most ICP iterations. Defaults to 100.
        with_scale (bool): Let ICP fit a scale too. Defaults to False.
        distance (str): ``'closest'`` or ``'corresponding'``. Defaults to
            ``'closest'``.
        init (str): ``'identity'`` or ``'correspondence'``. Defaults to
            ``'identity'``.
        **kwargs: Arguments of :class:`BaseAFLW2000MeshMetric` (the
            morphable model, chunk size, subset, ...).
    """

    def __init__(self,
                 step: int = 50,
                 tol: float = 0.01,
                 max_iter: int = 100,
                 with_scale: bool = False,
                 distance: str = 'closest',
                 init: str = 'identity',
                 **kwargs) -> None:
        if distance not in ('closest', 'corresponding'):
            raise ValueError("distance must be 'closest' or "
                             f"'corresponding', got {distance!r}")
        if init not in ('identity', 'correspondence'):
            raise ValueError("init must be 'identity' or 'correspondence', "
                             f'got {init!r}')
        super().__init__(**kwargs)
        self._keep_vertices(step)
        self.tol = tol
        self.max_iter = max_iter
        self.with_scale = with_scale
        self.distance = distance
        self.init = init
        self.tags = [
            tag for tag, on in (('corr', distance == 'corresponding'),
                                ('vinit', init == 'correspondence'),
                                ('scaled', with_scale)) if on
        ]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """ICP-aligned NME of all images, point clouds rebuilt chunk by
        chunk."""
        rows = self._select(results)
        nme = np.empty(len(rows))
        for part, pred, gt in self._meshes(rows):
            pred, gt = zero_min_z(pred), zero_min_z(gt)
            norm = bbox_size(gt, ids=np.array([r['img_id']
                                               for r in rows[part]]))
            if self.init == 'correspondence':
                pred = apply_transform(
                    pred, *rigid_transform(pred, gt, self.with_scale))
            aligned, dist = rigid_icp(pred, gt, self.tol, self.max_iter,
                                      self.with_scale)
            if self.distance == 'closest':
                nme[part] = dist.mean(1) / norm
            else:
                nme[part] = point_nme(aligned, gt, norm)
        tag = self.gt_tag(rows)
        name = '_'.join(['recon_nme', *self.tags, tag])
        return self._report({name: nme}, rows,
                            '3D reconstruction NME (%) after rigid ICP, '
                            f'{tag} ground-truth meshes')
