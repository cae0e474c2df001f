"""The AFLW 21-point benchmark list of 3DDFA (21,080 faces)."""
from pathlib import Path
from typing import List, Optional

import numpy as np

from mmface3d.morphable import aflw21_to_68, bbox_of_visible, check_convention
from mmface3d.registry import DATASETS
from .base_face_dataset import BaseFaceDataset, check_choice, load_row_array

PTS21_FILE = 'AFLW_GT_pts21.npy'
PTS68_FILE = 'AFLW_GT_pts68.npy'
ROI_BOX_FILE = 'AFLW_GT_crop_roi_box.npy'
YAW_FILE = 'AFLW_GT_crop_yaws.npy'
# x of a point that was not annotated; its y holds -1 or the image height
# + 2 (452 in the 450-pixel AFLW images).
MISSING_X = -1.0
# Coordinate of the centre of the first pixel in the released files: the
# AFLW points (like the AFLW2000-3D ground truth) count pixels from 1, as
# MATLAB does.
FILE_PIXEL_ORIGIN = 1.0


def aflw_visibility(points: np.ndarray) -> np.ndarray:
    """(N, K, 2) AFLW points as released -> (N, K) bool, False where the
    point was not annotated (x = -1)."""
    return points[..., 0] != MISSING_X


@DATASETS.register_module()
class AFLW21Dataset(BaseFaceDataset):
    """AFLW with its 21 manual landmarks, as the 3DDFA benchmark lists it;
    a point that was not annotated is stored with x = -1 (and y = -1 or,
    in the released files, the image height + 2 = 452).

    ``ann_file`` lists the images; next to it, in the same order:
    ``AFLW_GT_pts21.npy`` (N, 2, 21) original-image landmarks,
    ``AFLW_GT_crop_roi_box.npy`` (N, 4) the crop boxes,
    ``AFLW_GT_crop_yaws.npy`` (N,) yaw in degrees and, optionally,
    ``AFLW_GT_pts68.npy`` (N, 2+, 68) whose bounding box is the NME
    normaliser (else the visible 21 points).

    The released images are the crops themselves (``images_are_crops``):
    the annotations are mapped into each crop's pixels
    (``x' = (x - sx) * W / (ex - sx)``, same for y with the crop height)
    and ``roi_box`` becomes the whole crop ``[0, 0, W, H]``, so predictions
    and ground truth share the crop frame. With original AFLW images set
    ``images_are_crops=False`` and everything stays in image pixels.

    Each sample holds ``img_path``, ``img_id`` (row of the list),
    ``roi_box`` (4,) float32, ``gt_landmarks_2d`` (21, 2) float32 (0 where
    not annotated), ``gt_landmarks_visible`` (21,) bool, the same points as
    the benchmark ground truth ``gt_landmarks_img`` /
    ``gt_landmarks_img_visible`` (untouched by the pipeline), ``gt_bbox`` (4,)
    float32 ``[x0, y0, x1, y1]``, ``yaw`` (deg), ``has_3d=False``,
    ``has_2d`` and, with ``input_landmarks`` or ``input_from_annotation``,
    ``landmarks_2d_input`` (68, 2) (with ``landmarks_2d_input_visible``
    for the latter); with ``pseudo_params``, ``gt_params_img`` (P,),
    ``params_convention`` and ``has_3d=True``.

    ``pixel_origin`` sets the pixel convention of the points: the files
    count pixels from 1 (MATLAB); the images are sampled, and a 3DDFA_V2
    (``'v2'``) model projects, with the centre of the first pixel at 0
    (:func:`~mmface3d.morphable.pixel_origin`). ``pixel_origin=0.0`` moves
    every point by -1 original-image pixel before the crop mapping, into
    that frame; the default 1.0 keeps the points as released, which is how
    the 3DDFA benchmark protocol compares predictions with them.

    For 2D-assisted training (2DASL on in-the-wild faces) the manual points
    themselves can be the landmark-map input and the target of
    ``L_2d-con``: ``input_from_annotation=True`` places the 18 map points of
    the 21 (:func:`~mmface3d.morphable.aflw21_to_68`) in
    ``landmarks_2d_input``, missing ones masked. ``pseudo_params`` gives
    each face the params a teacher model predicted for it
    (``tools/dataset_converters/make_pseudo_labels.py``), a 3D stream of
    the same photos.

    Args:
        ann_file (str): The image list. Defaults to
            ``'aflw/annotations/AFLW_GT_crop.list'``.
        data_root (str, optional): Data root. Defaults to None.
        data_prefix (dict): Image folder. Defaults to
            ``dict(img_path='aflw/AFLW_GT_crop')``.
        images_are_crops (bool): Whether the listed images are the crops of
            the released boxes. Defaults to True.
        input_landmarks (str, optional): 68-point list of detector points in
            the listed images' pixels, relative to ``data_root``. Defaults
            to None.
        missing_input (str): ``'skip'`` or ``'keep'`` an image without input
            landmarks, see :class:`BaseFaceDataset`. Defaults to ``'skip'``.
        input_from_annotation (bool): Use the manual points as
            ``landmarks_2d_input`` (not with ``input_landmarks``). Defaults
            to False.
        pseudo_params (str, optional): ``.npy`` (N, P) of params in the
            listed images' frame, one row per list entry: a file this
            toolbox made (``make_pseudo_labels.py``), so absolute or
            relative to the working directory, not to ``data_root``.
            Defaults to None.
        params_convention (str): Convention of ``pseudo_params``. Defaults
            to ``'v2'`` (the 3DDFA_V2 teacher).
        pixel_origin (float): Coordinate of the centre of the first pixel
            in the samples' points (all of them: ``gt_landmarks_2d``, the
            benchmark ground truth and the map input), 1.0 (as released)
            or 0.0. Defaults to 1.0.
        **kwargs: :class:`BaseFaceDataset` arguments.
    """

    METAINFO: dict = dict(
        dataset_name='aflw', has_3d=False, has_2d=False, num_landmarks=21)

    def __init__(self,
                 ann_file: str = 'aflw/annotations/AFLW_GT_crop.list',
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path='aflw/AFLW_GT_crop'),
                 images_are_crops: bool = True,
                 input_landmarks: Optional[str] = None,
                 missing_input: str = 'skip',
                 input_from_annotation: bool = False,
                 pseudo_params: Optional[str] = None,
                 params_convention: str = 'v2',
                 pixel_origin: float = FILE_PIXEL_ORIGIN,
                 **kwargs) -> None:
        if input_from_annotation and input_landmarks is not None:
            raise ValueError('AFLW21Dataset: input_landmarks and '
                             'input_from_annotation are exclusive')
        check_convention(params_convention)
        check_choice('pixel_origin', pixel_origin, (0.0, FILE_PIXEL_ORIGIN))
        self.pixel_origin = float(pixel_origin)
        self.images_are_crops = images_are_crops
        self.input_from_annotation = input_from_annotation
        self.pseudo_params = pseudo_params
        self.params_convention = params_convention
        if input_from_annotation or pseudo_params is not None:
            kwargs['metainfo'] = dict(
                kwargs.get('metainfo') or {},
                has_2d=input_from_annotation,
                has_3d=pseudo_params is not None)
        super().__init__(ann_file, data_root, data_prefix, input_landmarks,
                         missing_input, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the list and the arrays into one dict per face."""
        names = self.read_image_list()
        num = len(names)
        pts21 = self.load_array(PTS21_FILE, num, (2, 21)).transpose(0, 2, 1)
        boxes = self.load_array(ROI_BOX_FILE, num, (4, )).astype(np.float64)
        yaws = self.load_array(YAW_FILE, num, ())
        pts68 = self.load_array(PTS68_FILE, num, (None, 68), required=False)
        if pts68 is not None and pts68.shape[1] < 2:
            raise ValueError(f'{PTS68_FILE} must hold x and y rows, got '
                             f'{pts68.shape}')
        visible = aflw_visibility(pts21)
        rows = np.flatnonzero(visible.any(1))
        for i in np.flatnonzero(~visible.any(1)):
            self.skipped[names[i]] = 'no annotated point'
        if len(rows) < num:
            self.warn(f'{self.ann_file}: {num - len(rows)} faces have no '
                      'annotated point and are skipped')
        inputs, has_input, keep_input = self.read_input_landmarks(names)
        rows = rows[keep_input[rows]]

        shift = self.pixel_origin - FILE_PIXEL_ORIGIN
        points = pts21.astype(np.float64) + shift
        norm_points = pts68[:, :2].transpose(0, 2, 1).astype(np.float64) \
            + shift if pts68 is not None else points
        norm_visible = np.ones(norm_points.shape[:2], dtype=bool) \
            if pts68 is not None else visible
        roi = boxes
        if self.images_are_crops:
            rows, sizes = self.readable_rows(names, rows)
            crop_sizes = np.zeros((num, 2))
            crop_sizes[rows] = sizes
            scale = crop_sizes / (boxes[:, 2:] - boxes[:, :2])
            points = (points - boxes[:, None, :2]) * scale[:, None]
            norm_points = (norm_points - boxes[:, None, :2]) * scale[:, None]
            roi = np.concatenate([np.zeros((num, 2)), crop_sizes], axis=1)
        points = np.where(visible[..., None], points, 0).astype(np.float32)
        bboxes = bbox_of_visible(norm_points[rows], norm_visible[rows])
        extra = [{} for _ in range(num)]
        if self.input_from_annotation:
            inputs, input_visible = aflw21_to_68(points, visible)
            has_input = input_visible.any(1)
            for i in range(num):
                extra[i]['landmarks_2d_input_visible'] = input_visible[i]
        if self.pseudo_params is not None:
            path = Path(self.pseudo_params).expanduser().absolute()
            if not path.is_file():
                raise FileNotFoundError(
                    f'pseudo_params {path} does not exist; make it with '
                    'tools/dataset_converters/make_pseudo_labels.py')
            params = load_row_array(path, num, (None, ),
                                    self.ann_file).astype(np.float32)
            for i in range(num):
                extra[i].update(
                    gt_params_img=params[i],
                    params_convention=self.params_convention)
        return [
            self.make_data_info(
                names,
                i,
                roi[i].astype(np.float32),
                inputs,
                has_input,
                gt_landmarks_2d=points[i],
                gt_landmarks_visible=visible[i],
                gt_landmarks_img=points[i].copy(),
                gt_landmarks_img_visible=visible[i].copy(),
                gt_bbox=bboxes[k],
                yaw=float(yaws[i]),
                has_3d=self.pseudo_params is not None,
                **extra[i]) for k, i in enumerate(rows)
        ]
