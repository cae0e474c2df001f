"""AFLW2000-3D as released (REFERENCE.md section 1)."""
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from mmface3d.morphable import (check_convention, fit_to_params, load_fit_mat,
                                roi_boxes_from_landmarks)
from mmface3d.registry import DATASETS
from mmface3d.structures import AFLW1998_EXCLUDED, AFLW2000_NUM_IMAGES
from .base_face_dataset import BaseFaceDataset, check_choice

PTS68_FILE = 'AFLW2000-3D.pts68.npy'
REANNOTATED_FILE = 'AFLW2000-3D-Reannotated.pts68.npy'
ROI_BOX_FILE = 'AFLW2000-3D_crop.roi_box.npy'


@DATASETS.register_module()
class AFLW2000Dataset(BaseFaceDataset):
    """AFLW2000-3D: 2000 images with 3DMM fits and 68 landmarks.

    Reads the released layout (``aflw2000_3d/AFLW2000/imageNNNNN.{jpg,mat}``
    and the ``.npy`` files next to ``ann_file``, all in the order of
    ``AFLW2000-3D.list``).

    Each sample holds ``img_path``, ``img_id`` (row in
    ``AFLW2000-3D.list`` and the ``.npy`` files, also for 1998 images),
    ``roi_box`` (4,) float32, the benchmark ground truth
    ``gt_landmarks_img`` ((68, 3) for ``gt_landmarks='ori'``, (68, 2) for
    ``'re'``, float32 image pixels, untouched by the pipeline), the same
    points as pipeline fields ``gt_landmarks_2d`` (68, 2) and
    ``gt_landmarks_3d`` (68, 3) (``'ori'`` only), ``yaw`` (deg, from
    ``pose_file``), ``has_3d`` / ``has_2d`` and, when asked for,
    ``gt_params_img`` (P,) float32 image-frame params with their
    ``params_convention`` (``FaceCrop`` derives the crop's ``gt_params``)
    and ``landmarks_2d_input`` (68, 2) float32 image pixels.

    Args:
        ann_file (str): The image list. Defaults to
            ``'aflw2000_3d/annotations/AFLW2000-3D.list'``.
        data_root (str, optional): Data root. Defaults to None.
        data_prefix (dict): Image folder. Defaults to
            ``dict(img_path='aflw2000_3d/AFLW2000')``.
        roi_box (str): ``'released'`` (``AFLW2000-3D_crop.roi_box.npy``) or
            ``'landmarks'`` (the benchmark rule on the ``gt_landmarks``;
            with ``'ori'`` it reproduces the released boxes). Defaults to
            ``'released'``.
        gt_landmarks (str): ``'ori'`` (``pt3d_68``, with z) or ``'re'`` (the
            re-annotated 2D landmarks). Defaults to ``'ori'``.
        num_images (int): 2000, or 1998 to leave out the two images FAN
            failed on (:data:`AFLW1998_EXCLUDED`). Defaults to 2000.
        pose_file (str): Yaw file next to ``ann_file``:
            ``'AFLW2000-3D.pose.npy'`` (from the fits) or
            ``'AFLW2000-3D-new.pose.npy'`` (AFLW labels). Defaults to the
            former.
        with_params (bool): Convert the ``.mat`` fits to ``gt_params_img``
            (:func:`~mmface3d.morphable.fit_to_params` with the image
            height; about a second for 2000 files, done once in the data
            list). Defaults to False.
        convention (str): Params convention, ``'v1'`` or ``'v2'``.
            Defaults to ``'v1'``.
        crop_size (int): Crop side of the params convention (the
            network's input). Defaults to 120.
        n_shape (int): Shape coefficients kept. Defaults to 40.
        n_exp (int): Expression coefficients kept. Defaults to 10.
        input_landmarks (str, optional): Landmark list of the detector's
            points in the released 120x120 crops, in the format of
            ``fan_landmarks_crop120.txt`` (relative to ``data_root``); they
            become ``landmarks_2d_input`` in image pixels through the
            released boxes. Defaults to None.
        input_crop_size (int): Crop side of ``input_landmarks``. Defaults to
            120.
        missing_input (str): ``'skip'`` or ``'keep'`` an image whose line
            in ``input_landmarks`` holds no points, see
            :class:`BaseFaceDataset`; ``'skip'`` with the released file gives
            the 1998 images. Defaults to ``'skip'``.
        **kwargs: :class:`BaseFaceDataset` arguments.

    Attributes:
        skipped (dict[str, str]): Image name -> why it was left out (broken
            image or ``.mat`` file).
    """

    METAINFO: dict = dict(
        dataset_name='aflw2000_3d',
        has_3d=False,
        has_2d=False,
        num_landmarks=68)

    def __init__(self,
                 ann_file: str = 'aflw2000_3d/annotations/AFLW2000-3D.list',
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path='aflw2000_3d/AFLW2000'),
                 roi_box: str = 'released',
                 gt_landmarks: str = 'ori',
                 num_images: int = 2000,
                 pose_file: str = 'AFLW2000-3D.pose.npy',
                 with_params: bool = False,
                 convention: str = 'v1',
                 crop_size: int = 120,
                 n_shape: int = 40,
                 n_exp: int = 10,
                 input_landmarks: Optional[str] = None,
                 input_crop_size: int = 120,
                 missing_input: str = 'skip',
                 **kwargs) -> None:
        check_choice('roi_box', roi_box, ('released', 'landmarks'))
        check_choice('gt_landmarks', gt_landmarks, ('ori', 're'))
        check_choice('num_images', num_images, (2000, 1998))
        check_convention(convention)
        self.roi_box = roi_box
        self.gt_landmarks = gt_landmarks
        self.num_images = num_images
        self.pose_file = pose_file
        self.with_params = with_params
        self.convention = convention
        self.crop_size = crop_size
        self.n_shape = n_shape
        self.n_exp = n_exp
        self.input_crop_size = input_crop_size
        kwargs['metainfo'] = {
            'has_3d': with_params,
            **(kwargs.get('metainfo') or {})
        }
        super().__init__(ann_file, data_root, data_prefix, input_landmarks,
                         missing_input, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the list, the annotation arrays and (optionally) the fits and
        input landmarks into one dict per sample."""
        names = self.read_image_list()
        num = len(names)
        pts68 = self.load_array(PTS68_FILE, num, (3, 68))
        released = self.load_array(ROI_BOX_FILE, num, (4, ))
        yaws = self.load_array(self.pose_file, num, ())
        if self.gt_landmarks == 'ori':
            landmarks = pts68[:, :2].transpose(0, 2, 1)
        else:
            landmarks = self.load_array(REANNOTATED_FILE, num,
                                        (2, 68)).transpose(0, 2, 1)

        keep = np.ones(num, dtype=bool)
        if self.num_images == 1998:
            keep[list(AFLW1998_EXCLUDED)] = False
        inputs, has_input, keep_input = self.read_input_landmarks(names)
        keep &= keep_input
        # The detector ran on the released crops: back to image pixels.
        box = released.astype(np.float64)
        scale = (box[:, 2:] - box[:, :2]) / self.input_crop_size
        inputs = (inputs * scale[:, None] + box[:, None, :2]).astype(
            np.float32)

        rows = np.flatnonzero(keep)
        sizes = None
        if self.roi_box == 'landmarks' or self.with_params:
            rows, sizes = self.readable_rows(names, rows)
        if self.roi_box == 'released':
            boxes = released[rows].astype(np.float32)
        else:
            boxes = roi_boxes_from_landmarks(
                landmarks[rows], np.ones((len(rows), 68), dtype=bool), sizes)
        params = None
        if self.with_params:
            params, ok = self._params(names, rows, sizes[:, 1])
            rows, boxes, params = rows[ok], boxes[ok], params[ok]

        data_list = []
        for k, i in enumerate(rows):
            info = self.make_data_info(
                names,
                i,
                boxes[k],
                inputs,
                has_input,
                gt_landmarks_2d=landmarks[i].astype(np.float32),
                yaw=float(yaws[i]),
                has_3d=params is not None)
            if self.gt_landmarks == 'ori':
                info['gt_landmarks_3d'] = pts68[i].T.astype(np.float32)
                info['gt_landmarks_img'] = pts68[i].T.astype(np.float32)
            else:
                info['gt_landmarks_img'] = landmarks[i].astype(np.float32)
            if params is not None:
                info['gt_params_img'] = params[k]
                info['params_convention'] = self.convention
            data_list.append(info)
        return data_list

    def benchmark_ground_truth(self) -> Dict[str, np.ndarray]:
        """The benchmark ground truth of the listed samples, for tools that
        score saved predictions (``tools/test.py --out``) without a model.

        Returns:
            dict[str, np.ndarray]: ``landmarks`` (2000, 68, D) float32 image
            pixels (``gt_landmarks_img``: D = 3 for ``'ori'``, 2 for
            ``'re'``) and ``yaw`` (2000,) degrees, both indexed by
            ``img_id``; rows of images not in this dataset are NaN.
        """
        infos = [self.get_data_info(i) for i in range(len(self))]
        dim = 3 if self.gt_landmarks == 'ori' else 2
        landmarks = np.full((AFLW2000_NUM_IMAGES, 68, dim), np.nan,
                            np.float32)
        yaw = np.full(AFLW2000_NUM_IMAGES, np.nan)
        ids = [info['img_id'] for info in infos]
        landmarks[ids] = np.stack([info['gt_landmarks_img'] for info in infos])
        yaw[ids] = [info['yaw'] for info in infos]
        return dict(landmarks=landmarks, yaw=yaw)

    def _params(self, names: List[str], rows: np.ndarray,
                heights: np.ndarray):
        """(R, P) float32 image-frame params of the fits of ``rows`` and (R,)
        bool: whether the ``.mat`` file was usable."""
        pose = np.zeros((len(rows), 7))
        shape = np.zeros((len(rows), self.n_shape))
        exp = np.zeros((len(rows), self.n_exp))
        ok = np.ones(len(rows), dtype=bool)
        for k, i in enumerate(rows):
            mat = Path(self.img_path(names[i])).with_suffix('.mat')
            try:
                fit = load_fit_mat(mat)
            except (OSError, ValueError) as err:
                self.skipped[names[i]] = str(err)
                self.warn(f'skipped {names[i]}: {err}')
                ok[k] = False
                continue
            pose[k] = fit['pose_para'][:7]
            shape[k] = fit['shape_para'][:self.n_shape]
            exp[k] = fit['exp_para'][:self.n_exp]
        params = fit_to_params(
            torch.from_numpy(pose),
            torch.from_numpy(shape),
            torch.from_numpy(exp),
            torch.from_numpy(heights.astype(np.float64)),
            n_shape=self.n_shape,
            n_exp=self.n_exp,
            convention=self.convention,
            crop_size=self.crop_size)
        return params.numpy().astype(np.float32), ok
