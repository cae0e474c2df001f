"""The data sample that travels through mmface3d's pipelines and models."""
from mmengine.structures import BaseDataElement


class Face3DDataSample(BaseDataElement):
    """One face crop with its annotations and, after ``predict``, the
    model's outputs.

    Metainfo (set where known): ``img_path`` (str), ``img_id`` (int, the
    index in the dataset's list), ``ori_shape`` (H, W), ``roi_box`` (4,)
    ``[sx, sy, ex, ey]`` of the crop in the original image, ``yaw`` (deg),
    ``flip`` (bool), ``has_3d`` / ``has_2d`` (bool), ``crop_affine`` (2, 3)
    the image -> crop affine of the (possibly jittered) crop.

    Data fields, landmarks point-major in crop pixels unless named ``_img``:

    - ``gt_params`` (P,) raw crop params (samples with 3D annotation); the
      model whitens them with its own statistics;
    - ``gt_landmarks_2d`` (K, 2) (K = 68, or 21 / 34 on the AFLW benchmarks)
      with ``gt_landmarks_visible`` (K,) bool where points can be missing,
      and ``gt_landmarks_3d`` (68, 3);
    - ``gt_bbox`` (4,): the NME normaliser box in original-image pixels
      (AFLW benchmarks);
    - ``landmarks_2d_input`` (68, 2): the 2D detector's points that feed the
      facial landmark map, with ``landmarks_2d_input_visible`` (68,) bool
      for 21-point in-the-wild lists;
    - predictions added by a model's ``predict``: ``pred_params`` (P,) raw
      crop params, ``pred_landmarks`` (68, 3) in original-image pixels,
      ``pred_pose`` (3,) ``[yaw, pitch, roll]`` in degrees.
    """
