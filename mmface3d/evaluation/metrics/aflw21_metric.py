"""AFLW with its 21 landmarks, of which only the visible ones count."""
from typing import Optional, Sequence

from mmface3d.datasets.landmark_layout import AFLW21_TO_68
from mmface3d.registry import METRICS
from .visible_landmark_metric import PredIndex, VisibleLandmarkMetric

# The 68-point rows of each AFLW point (the mean of two rows for the eye and
# mouth centres); the ears and the chin centre have no 68-point counterpart.
AFLW21_FROM_68 = tuple(AFLW21_TO_68.get(k) for k in range(21))


@METRICS.register_module()
class AFLW21Metric(VisibleLandmarkMetric):
    """21-point NME on AFLW over the visible points, normalised by the
    sample's ``gt_bbox`` (else the visible points' bbox).

    AFLW marks missing points with -1; the dataset must turn them into the
    ``gt_landmarks_visible`` (21,) bool mask (required here). Yaw buckets
    come from each sample's ``yaw`` metainfo (``by_yaw=True``). See
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
        gt_frame (str): ``'crop'`` or ``'image'``. Defaults to ``'crop'``.
        crop_size (int): Crop side. Defaults to 120.
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
                 gt_frame: str = 'crop',
                 crop_size: int = 120,
                 by_yaw: bool = True,
                 expected_num_images: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'aflw21',
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            num_points=21,
            pred_indices=pred_indices,
            pred_key=pred_key,
            gt_frame=gt_frame,
            crop_size=crop_size,
            by_yaw=by_yaw,
            require_visible=True,
            expected_num_images=expected_num_images,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
