"""Visibility masks of point sets.

Some point sets come with a (N,) bool mask: the benchmark ground truth of
AFLW / AFLW-LFPA (missing or occluded points) and 21-point in-the-wild lists
placed in the 68-point rows (rows without a point). Their hidden rows hold 0
in every frame (the transforms keep them there), and no transform, map or
metric may use them.
"""
from typing import Optional

import numpy as np

from .face_data_error import FaceDataError

# points key -> key of its (N,) bool mask
VISIBILITY_KEYS = {
    'gt_landmarks_2d': 'gt_landmarks_visible',
    'gt_landmarks_img': 'gt_landmarks_img_visible',
    'landmarks_2d_input': 'landmarks_2d_input_visible',
}


def read_visibility(results: dict, key: str) -> Optional[np.ndarray]:
    """The mask of the ``key`` points, checked against them.

    Args:
        results (dict): Pipeline results holding ``results[key]`` (N, D).
        key (str): Points key, e.g. ``'landmarks_2d_input'``.

    Returns:
        np.ndarray | None: (N,) bool, or None where ``key`` has no mask in
        :data:`VISIBILITY_KEYS` or the results carry none (all visible).

    Raises:
        FaceDataError: The mask is not (N,) bool; the error names
            ``img_path`` and both keys.
    """
    mask_key = VISIBILITY_KEYS.get(key)
    if mask_key is None or mask_key not in results:
        return None
    visible = np.asarray(results[mask_key])
    num = len(results[key])
    if visible.dtype != bool or visible.shape != (num, ):
        raise FaceDataError(
            results.get('img_path'),
            f'{mask_key} is {visible.dtype} {visible.shape}, expected '
            f'({num},) bool, one flag per row of {key}')
    return visible


def zero_hidden(results: dict, key: str) -> None:
    """Set the hidden rows of ``results[key]`` to 0 (in place, when it has a
    mask), as the datasets deliver them."""
    visible = read_visibility(results, key)
    if visible is not None:
        results[key][~visible] = 0
