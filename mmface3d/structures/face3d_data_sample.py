"""The data sample that travels through mmface3d's pipelines and models."""
from mmengine.structures import BaseDataElement


class Face3DDataSample(BaseDataElement):
    """One face crop with its annotations and, after ``predict``, the
    model's outputs.

    Metainfo (set where known): ``img_path`` (str), ``img_id`` (int, the
    index in the dataset's list), ``ori_shape`` (H, W), ``roi_box`` (4,)
    ``[sx, sy, ex, ey]`` of the crop in the original image, ``crop_affine``
    (2, 3) the image -> crop affine of the (possibly jittered, rotated or
    flipped) crop, the one map between the two frames, ``yaw`` (deg),
    ``flip`` (bool), ``has_3d`` / ``has_2d`` (bool), ``params_convention``
    (``'v1'`` / ``'v2'``) of the ground-truth params and, after ``predict``,
    ``pred_morphable_model`` (dict): the config of the morphable model whose
    mesh and params convention the predictions use.

    Data fields of the pipeline, in crop pixels (they follow every crop,
    rotation and flip):

    - ``gt_params`` (P,) raw crop params (samples with 3D annotation), the
      training target; the model whitens them with its own statistics;
    - ``gt_landmarks_2d`` (K, 2) (K = 68, or 21 / 34 on the AFLW benchmarks)
      with ``gt_landmarks_visible`` (K,) bool where points can be missing,
      and ``gt_landmarks_3d`` (68, 3);
    - ``landmarks_2d_input`` (68, 2): the 2D detector's points that feed the
      facial landmark map, with ``landmarks_2d_input_visible`` (68,) bool
      for 21-point in-the-wild lists.

    Ground truth of the benchmarks, in original-image pixels as annotated
    (no transform touches them; metrics and the visualizer read these):

    - ``gt_landmarks_img`` (K, 2 or 3) with ``gt_landmarks_img_visible``
      (K,) bool where points can be missing;
    - ``gt_params_img`` (P,) params that project straight into the image
      (:func:`~mmface3d.morphable.fit_to_params` without a box), in the
      ``params_convention``;
    - ``gt_bbox`` (4,) ``[x0, y0, x1, y1]``: the NME normaliser box (AFLW
      benchmarks).

    Predictions added by a model's ``predict``: ``pred_params`` (P,) raw
    params of the crop, ``pred_landmarks`` (68, 3) and ``pred_pose`` (3,)
    ``[yaw, pitch, roll]`` in degrees, both of the face in the original
    image (mapped back with ``crop_affine``).
    """
