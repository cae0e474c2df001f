"""The AFLW2000-3D benchmark files and protocol (REFERENCE.md sections 1, 3
and 6): annotation loading, the 2000 / 1998 image subsets and the 68-point
NME.

All ``.npy`` annotation files follow the order of ``AFLW2000-3D.list``; an
``img_id`` is a 0-based index into that list.
"""
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from mmface3d.datasets import AFLW1998_EXCLUDED
from mmface3d.datasets.aflw2000_dataset import (PTS68_FILE, REANNOTATED_FILE,
                                                ROI_BOX_FILE)
from mmface3d.datasets.base_face_dataset import load_row_array
from mmface3d.models.morphable import MorphableModel, load_fit_mat
from mmface3d.utils import resolve_data_path
from .nme import bbox_size, point_nme, zero_min_z

AFLW2000_NUM_IMAGES = 2000
AFLW2000_LIST = 'AFLW2000-3D.list'
AFLW2000_GT_FILES = {'ori': PTS68_FILE, 're': REANNOTATED_FILE}
AFLW2000_ROI_BOX_FILE = ROI_BOX_FILE
PathLike = Union[str, Path]


def load_aflw2000_annotations(ann_root: PathLike = 'aflw2000_3d/annotations',
                              gt: str = 'ori',
                              pose_file: PathLike = 'AFLW2000-3D.pose.npy',
                              data_root: Optional[PathLike] = None
                              ) -> Dict[str, object]:
    """Ground truth of the sparse AFLW2000-3D protocols.

    Args:
        ann_root (str | Path): The annotation folder, resolved against the
            data root. Defaults to ``'aflw2000_3d/annotations'``.
        gt (str): ``'ori'`` (``AFLW2000-3D.pts68.npy``, 3D) or ``'re'``
            (``AFLW2000-3D-Reannotated.pts68.npy``, 2D only). Defaults to
            ``'ori'``.
        pose_file (str | Path): Yaw file inside ``ann_root`` (or absolute):
            ``'AFLW2000-3D.pose.npy'`` (from the fits) or
            ``'AFLW2000-3D-new.pose.npy'`` (from the AFLW labels). Defaults
            to ``'AFLW2000-3D.pose.npy'``.
        data_root (str | Path, optional): Explicit data root. Defaults to
            None.

    Returns:
        dict: ``names`` (list of 2000 str), ``landmarks`` (2000, 68, D)
        float64 image pixels, point-major (D = 3 for ``'ori'``, 2 for
        ``'re'``), ``yaw`` (2000,) float64 degrees and ``gt``.
    """
    if gt not in AFLW2000_GT_FILES:
        raise ValueError(f"gt must be 'ori' or 're', got {gt!r}")
    root = resolve_data_path(ann_root, data_root)
    list_path = resolve_data_path(root / AFLW2000_LIST)
    names = list_path.read_text().split()
    if len(names) != AFLW2000_NUM_IMAGES:
        raise ValueError(f'{list_path}: {len(names)} names, expected '
                         f'{AFLW2000_NUM_IMAGES}')
    dim = 3 if gt == 'ori' else 2
    landmarks = load_row_array(
        resolve_data_path(root / AFLW2000_GT_FILES[gt]), AFLW2000_NUM_IMAGES,
        (dim, 68), AFLW2000_LIST)
    yaw = load_row_array(
        resolve_data_path(root / pose_file), AFLW2000_NUM_IMAGES, (),
        AFLW2000_LIST)
    return dict(
        names=names,
        landmarks=landmarks.transpose(0, 2, 1).astype(np.float64),
        yaw=yaw.astype(np.float64),
        gt=gt)


def load_aflw2000_roi_boxes(ann_root: PathLike = 'aflw2000_3d/annotations',
                            roi_box_file: PathLike = AFLW2000_ROI_BOX_FILE,
                            data_root: Optional[PathLike] = None
                            ) -> np.ndarray:
    """The released benchmark crop boxes, (2000, 4) ``[sx, sy, ex, ey]``."""
    root = resolve_data_path(ann_root, data_root)
    return load_row_array(
        resolve_data_path(root / roi_box_file), AFLW2000_NUM_IMAGES, (4, ),
        AFLW2000_LIST).astype(np.float64)


def aflw2000_subset_ids(subset: Union[str, int]) -> np.ndarray:
    """The image ids of a protocol: ``'2000'`` (all) or ``'1998'`` (without
    :data:`AFLW1998_EXCLUDED`).

    Returns:
        np.ndarray: (2000,) or (1998,) sorted int64 ids.
    """
    ids = np.arange(AFLW2000_NUM_IMAGES)
    if str(subset) == '2000':
        return ids
    if str(subset) == '1998':
        return np.setdiff1d(ids, AFLW1998_EXCLUDED)
    raise ValueError(f"subset must be '2000' or '1998', got {subset!r}")


def select_aflw2000_subset(img_ids: np.ndarray,
                           subset: Union[str, int] = '2000',
                           allow_partial: bool = False,
                           names: Optional[Sequence[str]] = None
                           ) -> np.ndarray:
    """Which evaluated samples make up a protocol's image set.

    Args:
        img_ids (np.ndarray): (N,) evaluated image ids.
        subset (str | int): ``'2000'`` or ``'1998'``; samples outside it are
            left out. Defaults to ``'2000'``.
        allow_partial (bool): Accept a set missing some of the subset's
            images, else raise. Defaults to False.
        names (Sequence[str], optional): The image list, to name missing
            images in errors. Defaults to None.

    Returns:
        np.ndarray: (M,) row indices into ``img_ids``, ordered by image id.

    Raises:
        ValueError: On an id outside [0, 2000), an image evaluated twice, no
            image of the subset, or (unless ``allow_partial``) missing
            images.
    """
    img_ids = np.asarray(img_ids, dtype=np.int64)
    bad = (img_ids < 0) | (img_ids >= AFLW2000_NUM_IMAGES)
    if bad.any():
        raise ValueError(f'img_id {img_ids[bad][:10].tolist()} outside [0, '
                         f'{AFLW2000_NUM_IMAGES}): not an AFLW2000-3D index')
    unique, counts = np.unique(img_ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f'images evaluated more than once: img_id '
                         f'{unique[counts > 1][:10].tolist()}')
    expected = aflw2000_subset_ids(subset)
    missing = np.setdiff1d(expected, img_ids)
    if missing.size and not allow_partial:
        shown = [names[i] for i in missing[:10]] if names else []
        raise ValueError(
            f'AFLW{subset}: {missing.size} of {expected.size} images were not'
            f' evaluated (img_id {missing[:10].tolist()} {shown}...); '
            'evaluate the whole set or set allow_partial=True')
    order = np.argsort(img_ids)
    rows = order[np.isin(img_ids[order], expected)]
    if not rows.size:
        raise ValueError(f'no image of AFLW{subset} was evaluated')
    return rows


def load_aflw2000_gt_params(model: MorphableModel,
                            fit_root: PathLike = 'aflw2000_3d/AFLW2000',
                            ann_root: PathLike = 'aflw2000_3d/annotations',
                            roi_box_file: PathLike = AFLW2000_ROI_BOX_FILE,
                            img_height: float = 450.0,
                            data_root: Optional[PathLike] = None) -> Tensor:
    """Ground-truth params of all 2000 images in the crop frames of the
    released benchmark boxes, truncated to the model's components.

    Args:
        model (MorphableModel): Sets the truncation and params convention.
        fit_root (str | Path): Folder of the ``imageNNNNN.mat`` fits.
            Defaults to ``'aflw2000_3d/AFLW2000'``.
        ann_root (str | Path): Annotation folder (image list, boxes).
            Defaults to ``'aflw2000_3d/annotations'``.
        roi_box_file (str | Path): Crop boxes inside ``ann_root``. Defaults
            to ``'AFLW2000-3D_crop.roi_box.npy'``.
        img_height (float): Image height H of the fits' image model.
            Defaults to 450.
        data_root (str | Path, optional): Explicit data root. Defaults to
            None.

    Returns:
        Tensor: (2000, P) float32 raw crop params, in list order.
    """
    root = resolve_data_path(ann_root, data_root)
    names = resolve_data_path(root / AFLW2000_LIST).read_text().split()
    fit_dir = resolve_data_path(fit_root, data_root)
    fits = [load_fit_mat(fit_dir / (Path(n).stem + '.mat')) for n in names]
    fields = {
        key: torch.from_numpy(np.stack([f[key] for f in fits]))
        for key in ('pose_para', 'shape_para', 'exp_para')
    }
    roi_box = torch.from_numpy(
        load_aflw2000_roi_boxes(root, roi_box_file, data_root))
    params = model.params_from_annotation(fields['pose_para'],
                                          fields['shape_para'],
                                          fields['exp_para'], roi_box,
                                          img_height)
    return params.float()


def aflw2000_landmark_nme(pred: np.ndarray, gt: np.ndarray,
                          dim: str = '2d') -> np.ndarray:
    """The AFLW2000-3D 68-point NME of each image.

    Args:
        pred (np.ndarray): (N, 68, D) predicted landmarks, image pixels.
        gt (np.ndarray): (N, 68, D') ground truth, image pixels.
        dim (str): ``'2d'`` (x, y) or ``'3d'`` (x, y, z with z shifted to a
            minimum of 0 on both sides). Defaults to ``'2d'``.

    Returns:
        np.ndarray: (N,) NME as fractions of ``sqrt(w * h)`` of the ground
        truth's 2D bbox.
    """
    norm = bbox_size(gt)
    if dim == '2d':
        return point_nme(pred[..., :2], gt[..., :2], norm)
    if dim == '3d':
        if pred.shape[-1] < 3 or gt.shape[-1] < 3:
            raise ValueError(f'3D NME needs (N, 68, 3) points, got pred '
                             f'{pred.shape} and gt {gt.shape}')
        return point_nme(zero_min_z(pred[..., :3]), zero_min_z(gt[..., :3]),
                         norm)
    raise ValueError(f"dim must be '2d' or '3d', got {dim!r}")
