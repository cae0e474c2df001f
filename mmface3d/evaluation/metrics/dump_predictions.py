"""Saves per-image predictions to ``.npz`` (``tools/test.py --out``)."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmface3d.registry import METRICS
from ..functional import (describe_excluded, excluded_result, save_predictions,
                          split_excluded, stack_predictions)


@METRICS.register_module()
class DumpPredictions(BaseMetric):
    """Collect every sample's predictions and write them to ``out_file`` in
    the format of :mod:`mmface3d.evaluation.functional.predictions`
    (``img_ids``, ``pred_params``, ``pred_landmarks`` in image pixels,
    ``crop_affines``, ``img_paths``), which ``plot_edc.py`` reads. Samples
    their dataset excluded are left out and named in the log.

    Args:
        out_file (str): The ``.npz`` to write.
        collect_device (str): Device for collecting results across ranks.
            Defaults to ``'cpu'``.
    """

    def __init__(self, out_file: str, collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device)
        self.out_file = out_file

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        # One entry per sample: mmengine drops the padding of the last
        # distributed batch by counting entries.
        self.results.extend(
            excluded_result(sample) or stack_predictions([sample])
            for sample in data_samples)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        results, excluded = split_excluded(results)
        if not results:
            raise ValueError(f'no predictions were made, nothing to save to '
                             f'{self.out_file}{describe_excluded(excluded)}')
        merged = {
            key: np.concatenate([r[key] for r in results])
            for key in results[0]
        }
        path = save_predictions(self.out_file, merged)
        MMLogger.get_current_instance().info(
            f'saved {len(merged["img_ids"])} predictions to {path}'
            f'{describe_excluded(excluded)}')
        return {}
