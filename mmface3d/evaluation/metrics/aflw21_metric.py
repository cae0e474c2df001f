"""AFLW with its 21 landmarks, of which only the visible ones count."""
from typing import Optional, Sequence

from mmface3d.morphable import AFLW21_FROM_68
from mmface3d.registry import METRICS
from .visible_landmark_metric import PredIndex, VisibleLandmarkMetric


@METRICS.register_module()
class AFLW21Metric(VisibleLandmarkMetric):
    """21-point NME on AFLW over the visible points, normalised by the
    sample's ``gt_bbox`` (else the visible points' bbox).

    AFLW marks missing points in its files; the dataset must turn them into
    the ``gt_landmarks_img_visible`` (21,) bool mask (required here). Yaw
    buckets come from each sample's ``yaw`` metainfo (``by_yaw=True``). See
    :class:`VisibleLandmarkMetric` for all per-sample keys.

    With the default ``pred_indices`` the 68 predicted landmarks give 18 of
    the 21 points (the ears and the chin centre have no 68-point
    counterpart and are not scored), so the names say so:
    ``aflw21/nme_18of21_2d_{0-30,30-60,60-90,mean3,std3,all}`` (percent).
    A prediction field holding all 21 points (``pred_indices=None``) gives
    ``aflw21/nme_21_2d_...``.

    Args:
        pred_indices (Sequence, optional): 21 entries (row, rows to average,
            or None) into the predicted points. Defaults to
            :data:`AFLW21_FROM_68`.
        pred_key (str): Prediction field. Defaults to ``'pred_landmarks'``.
        by_yaw (bool): Report yaw buckets. Defaults to True.
        expected_num_images (int, optional): Defaults to None (any).
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'aflw21'``.
        collect_dir (str, optional): Defaults to None.
    """

    benchmark = 'AFLW'

    def __init__(self,
                 pred_indices: Optional[Sequence[PredIndex]] = AFLW21_FROM_68,
                 pred_key: str = 'pred_landmarks',
                 by_yaw: bool = True,
                 expected_num_images: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'aflw21',
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            num_points=21,
            pred_indices=pred_indices,
            pred_key=pred_key,
            by_yaw=by_yaw,
            require_visible=True,
            expected_num_images=expected_num_images,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
