"""NME of landmarks whose ground truth travels in the data samples, with a
visibility mask (any K-point set; AFLW-LFPA and AFLW 21 points build on
it)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmface3d.registry import METRICS
from ..functional import (bbox_size, describe_excluded, describe_sample,
                          excluded_result, format_nme_table, point_nme,
                          sample_array, sample_field, split_excluded,
                          summarize_by_yaw, yaw_bucket_index)
from ..functional.sample_fields import Sample

PredIndex = Union[int, Sequence[int], None]


def pred_index_weights(pred_indices: Sequence[PredIndex],
                       num_points: int) -> Tuple[np.ndarray, np.ndarray]:
    """The linear map from predicted points to the benchmark's points.

    Args:
        pred_indices (Sequence[int | Sequence[int] | None]): One entry per
            benchmark point: a row of the predicted points, several rows
            whose mean is the point (e.g. an eye centre from two lid
            points), or None where no predicted point matches (the point is
            then not scored).
        num_points (int): K, the benchmark's point count.

    Returns:
        tuple[np.ndarray, np.ndarray]: weights (K, M) (``pred_K = weights @
        pred[:M]``) and ``predicted`` (K,) bool.
    """
    if len(pred_indices) != num_points:
        raise ValueError(f'pred_indices must have {num_points} entries (one '
                         f'per benchmark point), got {len(pred_indices)}')
    rows = [None if i is None else np.atleast_1d(np.asarray(i, np.int64))
            for i in pred_indices]
    used = [r for r in rows if r is not None]
    if not used or any(r.size == 0 or (r < 0).any() for r in used):
        raise ValueError('pred_indices entries must be None, a row index or a'
                         f' non-empty list of row indices, got {pred_indices}')
    weights = np.zeros((num_points, max(r.max() for r in used) + 1))
    for k, r in enumerate(rows):
        if r is not None:
            np.add.at(weights[k], r, 1.0 / r.size)
    return weights, np.array([r is not None for r in rows])


@METRICS.register_module()
class VisibleLandmarkMetric(BaseMetric):
    """2D NME over the visible ground-truth landmarks of each sample: the
    generic metric for any K-point ground truth carried by the data samples
    (e.g. the synthetic set's 68 points), and the base of the AFLW-LFPA and
    AFLW 21-point metrics.

    Per sample: the mean over the scored points (visible, and with a
    predicted counterpart) of the 2D Euclidean error in original-image
    pixels, divided by ``sqrt(w * h)`` of the sample's ``gt_bbox`` or, where
    absent, of the bbox of all its visible ground-truth points (scored or
    not). Reported in percent, as the mean over all samples
    (``nme_{K}_2d_all``) and, with ``by_yaw``, per yaw bucket with the mean
    and population std of the three bucket means (``nme_{K}_2d_0-30``, ...,
    ``_mean3``, ``_std3``). When
    ``pred_indices`` leaves n of the K points without a prediction, the
    names read ``nme_{K-n}of{K}_2d_...``.

    Per-sample keys read:

    - ``gt_landmarks_img`` (K, 2+): ground truth in original-image pixels,
      as the dataset attached it (no transform moves it);
    - ``gt_landmarks_img_visible`` (K,) bool: True for the points that
      count (annotated and visible). A dataset with missing points (AFLW's
      markers) must set it; where absent, every point counts unless
      ``require_visible``;
    - ``gt_bbox`` (4,) ``[x0, y0, x1, y1]`` image pixels, optional: the
      normalising box;
    - ``pred_landmarks`` (or ``pred_key``) (M, 2+), original-image pixels;
    - ``yaw`` (deg) for ``by_yaw``; ``img_id`` / ``img_path`` name samples
      in errors.

    Args:
        num_points (int): K, the benchmark's landmark count.
        pred_indices (Sequence, optional): K entries mapping predicted points
            to the benchmark's, see :func:`pred_index_weights`; None if the
            prediction field holds exactly the K points in order.
        pred_key (str): Prediction field. Defaults to ``'pred_landmarks'``.
        by_yaw (bool): Also report the yaw buckets. Defaults to False.
        require_visible (bool): Refuse samples without
            ``gt_landmarks_img_visible``. Defaults to False.
        expected_num_images (int, optional): Raise unless exactly this many
            samples were evaluated; None to accept any. Defaults to None.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix.
        collect_dir (str, optional): Defaults to None.
    """

    benchmark = 'landmarks'

    def __init__(self,
                 num_points: int,
                 pred_indices: Optional[Sequence[PredIndex]] = None,
                 pred_key: str = 'pred_landmarks',
                 by_yaw: bool = False,
                 require_visible: bool = False,
                 expected_num_images: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.num_points = num_points
        if pred_indices is None:
            self.pred_weights = None
            self.predicted = np.ones(num_points, dtype=bool)
        else:
            self.pred_weights, self.predicted = pred_index_weights(
                pred_indices, num_points)
        self.pred_key = pred_key
        self.by_yaw = by_yaw
        self.require_visible = require_visible
        self.expected_num_images = expected_num_images
        scored = int(self.predicted.sum())
        self.metric_name = f'nme_{num_points}_2d' if scored == num_points \
            else f'nme_{scored}of{num_points}_2d'

    def _pred_points(self, sample: Sample) -> np.ndarray:
        """(K, 2) predicted benchmark points, or with ``pred_indices`` the
        (M, 2) first rows they reach."""
        pred = sample_array(sample, self.pred_key, (None, None), np.float64)
        if pred.shape[1] < 2:
            raise ValueError(f'`{self.pred_key}` of data sample '
                             f'({describe_sample(sample)}) has shape '
                             f'{pred.shape}, expected (M, 2+)')
        if self.pred_weights is None:
            if len(pred) != self.num_points:
                raise ValueError(
                    f'`{self.pred_key}` of data sample '
                    f'({describe_sample(sample)}) has {len(pred)} points, '
                    f'the benchmark {self.num_points}: set pred_indices '
                    '(which predicted points are the benchmark points)')
            return pred[:, :2]
        rows = self.pred_weights.shape[1]
        if len(pred) < rows:
            raise ValueError(f'pred_indices reach row {rows - 1} but '
                             f'`{self.pred_key}` of data sample '
                             f'({describe_sample(sample)}) has {len(pred)} '
                             'points')
        return pred[:rows, :2]

    def _visible(self, sample: Sample) -> np.ndarray:
        """(K,) bool, the visible ground-truth points of this sample."""
        if sample.get('gt_landmarks_img_visible', None) is None:
            if self.require_visible:
                raise KeyError(
                    f'data sample ({describe_sample(sample)}) has no '
                    '`gt_landmarks_img_visible` (K,) bool mask, required by '
                    f'{type(self).__name__}: only visible points count')
            return np.ones(self.num_points, dtype=bool)
        return sample_array(sample, 'gt_landmarks_img_visible',
                            (self.num_points, ), dtype=bool)

    def _gt_bbox(self, sample: Sample) -> np.ndarray:
        """(4,) ``gt_bbox`` of the sample, NaN where it has none."""
        if sample.get('gt_bbox', None) is None:
            return np.full(4, np.nan)
        box = sample_array(sample, 'gt_bbox', (4, ), np.float64)
        if not (box[2:] > box[:2]).all():
            raise ValueError(f'data sample ({describe_sample(sample)}): '
                             f'`gt_bbox` {box.tolist()} has zero area, '
                             'expected [x0, y0, x1, y1] with x1 > x0, y1 > y0')
        return box

    def process(self, data_batch, data_samples: Sequence[Sample]) -> None:
        """Keep the predicted and ground-truth points, the visibility, the
        ``gt_bbox`` and the yaw (``by_yaw``) of each sample."""
        for sample in data_samples:
            excluded = excluded_result(sample)
            if excluded is not None:
                self.results.append(excluded)
                continue
            visible = self._visible(sample)
            if not (visible & self.predicted).any():
                raise ValueError(f'data sample ({describe_sample(sample)}) '
                                 'has no visible ground-truth landmark with '
                                 'a prediction')
            result = dict(
                name=describe_sample(sample),
                pred=self._pred_points(sample),
                gt=sample_array(sample, 'gt_landmarks_img',
                                (self.num_points, None), np.float64)[:, :2],
                visible=visible,
                gt_bbox=self._gt_bbox(sample))
            if self.by_yaw:
                result['yaw'] = float(sample_field(sample, 'yaw'))
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """NME of all samples at once (percent)."""
        if self.expected_num_images is not None and \
                len(results) != self.expected_num_images:
            raise ValueError(
                f'{type(self).__name__}: {len(results)} images evaluated, '
                f'the benchmark has {self.expected_num_images}; set '
                'expected_num_images=None to evaluate another set')
        results, excluded = split_excluded(results)
        excluded_text = describe_excluded(excluded)
        if not results:
            raise ValueError(f'{type(self).__name__}: every image was '
                             f'excluded{excluded_text}')
        pred, gt, visible, gt_bbox = (
            np.stack([r[key] for r in results])
            for key in ('pred', 'gt', 'visible', 'gt_bbox'))
        if self.pred_weights is not None:
            pred = self.pred_weights @ pred
        norm = np.sqrt(np.prod(gt_bbox[:, 2:] - gt_bbox[:, :2], axis=1))
        own = np.isnan(norm)
        if own.any():
            names = np.array([r['name'] for r in results])
            norm[own] = bbox_size(gt[own], visible[own], names[own])
        nme = point_nme(pred, gt, norm, visible & self.predicted)
        name = self.metric_name
        if not self.by_yaw:
            value = 100.0 * float(nme.mean())
            print_log(f'{self.benchmark}: {name} = {value:.2f} % over '
                      f'{len(nme)} images{excluded_text}', logger='current')
            return {f'{name}_all': value}
        yaw = np.array([r['yaw'] for r in results])
        summary = {k: 100.0 * v for k, v in summarize_by_yaw(nme, yaw).items()}
        print_log(
            '\n' + format_nme_table(
                f'{self.benchmark} ({self.num_points} points), NME (%), '
                f'{len(nme)} images{excluded_text}',
                {name: summary},
                np.bincount(yaw_bucket_index(yaw), minlength=3)),
            logger='current')
        return {f'{name}_{k}': v for k, v in summary.items()}
