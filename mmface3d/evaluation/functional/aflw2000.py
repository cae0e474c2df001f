"""The AFLW2000-3D protocol (REFERENCE.md section 6): the 2000 / 1998 image
subsets and the 68-point NME. Ground truth reaches the metrics through the
data samples (``gt_landmarks_img``); an ``img_id`` is a 0-based index into
``AFLW2000-3D.list``.
"""
from typing import Union

import numpy as np

from mmface3d.structures import AFLW2000_NUM_IMAGES, aflw2000_subset_ids
from .nme import bbox_size, point_nme, zero_min_z


def select_aflw2000_subset(img_ids: np.ndarray,
                           subset: Union[str, int] = '2000',
                           allow_partial: bool = False) -> np.ndarray:
    """Which evaluated samples make up a protocol's image set.

    Args:
        img_ids (np.ndarray): (N,) evaluated image ids.
        subset (str | int): ``'2000'`` or ``'1998'``; samples outside it are
            left out. Defaults to ``'2000'``.
        allow_partial (bool): Accept a set missing some of the subset's
            images, else raise. Defaults to False.

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
        raise ValueError(
            f'AFLW{subset}: {missing.size} of {expected.size} images were not'
            f' evaluated (img_id {missing[:10].tolist()}...); evaluate the '
            'whole set or set allow_partial=True')
    order = np.argsort(img_ids)
    rows = order[np.isin(img_ids[order], expected)]
    if not rows.size:
        raise ValueError(f'no image of AFLW{subset} was evaluated')
    return rows


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
