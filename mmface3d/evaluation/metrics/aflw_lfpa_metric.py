"""AFLW-LFPA: 1299 large-pose test images with 34 visible landmarks."""
from typing import Optional, Sequence

from mmface3d.registry import METRICS
from .visible_landmark_metric import PredIndex, VisibleLandmarkMetric


@METRICS.register_module()
class AFLWLFPAMetric(VisibleLandmarkMetric):
    """34-point NME on AFLW-LFPA over the visible points, normalised by
    the sample's ``gt_bbox`` (else the visible points' bbox).

    Reports ``aflw_lfpa/nme_34_2d_all`` (percent), the mean over the 1299
    test images; see :class:`VisibleLandmarkMetric` for the per-sample
    keys (``gt_landmarks_img`` (34, 2), ``gt_landmarks_img_visible`` (34,)
    bool (all visible where absent), ``gt_bbox``, ``pred_landmarks``).

    Args:
        pred_indices (Sequence, optional): 34 entries (row, rows to
            average, or None) into the predicted points matching the LFPA
            points; None if the prediction field holds the 34 points.
            Defaults to None.
        pred_key (str): Prediction field. Defaults to ``'pred_landmarks'``.
        expected_num_images (int, optional): Defaults to 1299.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'aflw_lfpa'``.
        collect_dir (str, optional): Defaults to None.
    """

    benchmark = 'AFLW-LFPA'

    def __init__(self,
                 pred_indices: Optional[Sequence[PredIndex]] = None,
                 pred_key: str = 'pred_landmarks',
                 expected_num_images: Optional[int] = 1299,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'aflw_lfpa',
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            num_points=34,
            pred_indices=pred_indices,
            pred_key=pred_key,
            by_yaw=False,
            require_visible=False,
            expected_num_images=expected_num_images,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
