"""68-point NME against landmarks decoded from ground-truth params."""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmface3d.morphable import convert_convention, get_morphable_model
from mmface3d.registry import METRICS
from ..functional import (bbox_size, describe_excluded, excluded_result,
                          point_nme, sample_array, sample_field,
                          split_excluded)
from ..functional.sample_fields import Sample

CONTOUR = slice(0, 17)


@METRICS.register_module()
class ParamsLandmarkMetric(BaseMetric):
    """2D NME of the predicted 68 landmarks against the 68 landmarks of the
    samples' ``gt_params_img`` (decoded with the predicting model), over all
    68 points and over the 17 contour points.

    With a teacher's pseudo-labels as ``gt_params_img`` it measures how far
    a fine-tuned model moved from its teacher, the face contour included,
    which sparse 2D labels such as AFLW's 21 points do not see.

    Per-sample keys read: ``pred_landmarks`` (68, 3) image pixels,
    ``gt_params_img`` (P,) with metainfo ``params_convention``,
    ``pred_morphable_model``.

    Metric names: ``nme_68_2d_all`` and ``nme_contour_2d_all`` (percent,
    normalised by ``sqrt(w * h)`` of the decoded 68-point box).

    Args:
        data_root (str, optional): Data root of the BFM files. Defaults to
            None.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'params_landmarks'``.
        collect_dir (str, optional): Defaults to None.
    """

    def __init__(self,
                 data_root=None,
                 collect_device: str = 'cpu',
                 prefix: str = 'params_landmarks',
                 collect_dir=None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.data_root = data_root

    def process(self, data_batch, data_samples: Sequence[Sample]) -> None:
        """Keep the predicted landmarks and the ground-truth params."""
        for sample in data_samples:
            excluded = excluded_result(sample)
            if excluded is not None:
                self.results.append(excluded)
                continue
            model_cfg = sample_field(sample, 'pred_morphable_model')
            self.results.append(
                dict(
                    pred=sample_array(sample, 'pred_landmarks', (68, 3)),
                    gt_params=sample_array(sample, 'gt_params_img',
                                           (None, )),
                    convention=str(sample_field(sample,
                                                'params_convention')),
                    model_cfg=dict(model_cfg)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        results, excluded = split_excluded(results)
        if not results:
            raise ValueError('ParamsLandmarkMetric: every sample was '
                             f'excluded{describe_excluded(excluded)}')
        model = get_morphable_model(results[0]['model_cfg'], self.data_root)
        params = torch.from_numpy(np.stack([r['gt_params'] for r in results]))
        conventions = np.array([r['convention'] for r in results])
        for convention in set(conventions):
            rows = torch.from_numpy(conventions == convention)
            params[rows] = convert_convention(params[rows], convention,
                                              model.convention,
                                              model.crop_size)
        with torch.no_grad():
            gt = model.landmarks(params.to(model.u)).transpose(1, 2).numpy()
        pred = np.stack([r['pred'] for r in results])
        norm = bbox_size(gt)
        metrics = {
            'nme_68_2d_all':
            100 * float(point_nme(pred[..., :2], gt[..., :2], norm).mean()),
            'nme_contour_2d_all':
            100 * float(
                point_nme(pred[:, CONTOUR, :2], gt[:, CONTOUR, :2],
                          norm).mean())
        }
        print_log(
            f'landmarks of the ground-truth params, {len(results)} images'
            f'{describe_excluded(excluded)}: ' + ', '.join(
                f'{k} = {v:.2f} %' for k, v in metrics.items()),
            logger='current')
        return metrics
