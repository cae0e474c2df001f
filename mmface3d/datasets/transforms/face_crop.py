"""The face crop: image, landmarks and params into the network's frame."""
import math
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmface3d.morphable import (benchmark_roi_box, box_affine,
                                check_convention, pixel_affine,
                                transform_params, transform_points)
from mmface3d.registry import TRANSFORMS
from .face_data_error import FaceDataError
from .visibility import read_visibility, zero_hidden

INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}
POINT_KEYS = ('gt_landmarks_2d', 'gt_landmarks_3d', 'landmarks_2d_input')
# A box this many times larger than the image (or the crop) is an annotation
# error, not a face: refuse it instead of allocating its zero padding.
MAX_BOX_RATIO = 10


@TRANSFORMS.register_module()
class FaceCrop(BaseTransform):
    """Crop the face box, resize it to ``crop_size`` and map the annotations.

    Without jitter the crop is the 3DDFA benchmark crop: the box is rounded,
    ``img[sy:ey, sx:ex]`` (0-based slicing, zeros outside the image) is
    resized to ``crop_size`` x ``crop_size``. With jitter (training) the box
    is scaled, shifted and rotated at random and the crop is one
    ``cv2.warpAffine`` with zero borders. Either way one image-to-crop affine
    (:mod:`mmface3d.morphable.affine`) maps the annotations:

    - ``gt_landmarks_2d`` / ``landmarks_2d_input`` (N, 2) and
      ``gt_landmarks_3d`` (N, 3), any N (68, or the 21 / 34 benchmark
      points), from image pixels to crop pixels (z scaled by the mean axis
      scale); rows flagged False in ``gt_landmarks_visible`` /
      ``landmarks_2d_input_visible`` (:mod:`.visibility`) stay 0;
    - ``gt_params_img``, image-frame params in the sample's
      ``params_convention``, give ``gt_params``, the params of the crop
      (:func:`~mmface3d.morphable.transform_params`, exact).

    The benchmark ground truth (``gt_landmarks_img``, ``gt_params_img``,
    ``gt_bbox``) stays in image pixels: metrics compare it with predictions
    mapped back through ``crop_affine``.

    Required Keys:

    - img (np.ndarray): (H, W, C) image.
    - roi_box (np.ndarray): (4,) ``[sx, sy, ex, ey]``, when ``box_source``
      is ``'roi_box'``.
    - the ``landmark_key`` landmarks, when ``box_source='landmarks'`` (only
      the visible ones count where they have a mask).

    Optional Keys:

    - gt_landmarks_visible (np.ndarray): (K,) bool mask of
      ``gt_landmarks_2d``.
    - landmarks_2d_input_visible (np.ndarray): (68,) bool mask of
      ``landmarks_2d_input``.
    - gt_params_img (np.ndarray): (P,) image-frame params, with
      params_convention (str): ``'v1'`` or ``'v2'``.

    Modified Keys:

    - img: (crop_size, crop_size, C), same dtype.
    - img_shape
    - roi_box: (4,) float32 box of the crop in the image (for a rotated crop
      the box before rotation about its centre).
    - gt_landmarks_2d, gt_landmarks_3d, landmarks_2d_input (optional)

    Added Keys:

    - crop_affine (np.ndarray): (2, 3) float32 image-to-crop affine; its
      inverse maps predictions back to the image for any crop.
    - roi_box, when computed from landmarks.
    - gt_params (np.ndarray): (P,) float32 crop params, from
      ``gt_params_img``.

    Args:
        crop_size (int): Side of the square crop. Defaults to 120.
        box_source (str): ``'roi_box'`` (the dataset's box) or
            ``'landmarks'`` (the benchmark rule of
            :func:`~mmface3d.morphable.benchmark_roi_box` on the
            visible ``landmark_key`` points). Defaults to ``'roi_box'``.
        landmark_key (str): Image-frame landmarks for
            ``box_source='landmarks'``. Defaults to ``'gt_landmarks_2d'``.
        interpolation (str): ``'nearest'``, ``'bilinear'`` (cv2.INTER_LINEAR),
            ``'bicubic'``, ``'area'`` (not with jitter) or ``'lanczos'``.
            Defaults to ``'bilinear'``.
        scale_jitter (float): The box side is multiplied by a factor drawn
            uniformly from ``[1 - scale_jitter, 1 + scale_jitter]``.
            Defaults to 0 (off).
        shift_jitter (float): The box centre moves by up to this fraction of
            the box side on each axis (uniform). Defaults to 0 (off).
        rotate_jitter (float): In-plane rotation drawn uniformly from
            ``[-rotate_jitter, rotate_jitter]`` degrees. Defaults to 0 (off).
        min_overlap (float): The (unjittered) box must have at least this
            fraction of its area inside the image; less is an unusable
            annotation (a box off the image, or an image far smaller than its
            box), refused with :class:`FaceDataError`. Defaults to 0.25.
    """

    def __init__(self,
                 crop_size: int = 120,
                 box_source: str = 'roi_box',
                 landmark_key: str = 'gt_landmarks_2d',
                 interpolation: str = 'bilinear',
                 scale_jitter: float = 0.0,
                 shift_jitter: float = 0.0,
                 rotate_jitter: float = 0.0,
                 min_overlap: float = 0.25) -> None:
        if box_source not in ('roi_box', 'landmarks'):
            raise ValueError("box_source must be 'roi_box' or 'landmarks', "
                             f'got {box_source!r}')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f'interpolation must be one of {sorted(INTERPOLATIONS)}, got '
                f'{interpolation!r}')
        if not 0 <= scale_jitter < 1 or shift_jitter < 0 or rotate_jitter < 0:
            raise ValueError(
                'jitter ranges must satisfy 0 <= scale_jitter < 1, '
                f'shift_jitter >= 0, rotate_jitter >= 0; got {scale_jitter}, '
                f'{shift_jitter}, {rotate_jitter}')
        self.jitter = bool(scale_jitter or shift_jitter or rotate_jitter)
        if self.jitter and interpolation == 'area':
            raise ValueError("interpolation='area' is resize-only; it cannot "
                             'be used with scale/shift/rotate jitter')
        self.crop_size = crop_size
        self.box_source = box_source
        self.landmark_key = landmark_key
        self.interpolation = interpolation
        self.scale_jitter = scale_jitter
        self.shift_jitter = shift_jitter
        self.rotate_jitter = rotate_jitter
        if not 0 <= min_overlap <= 1:
            raise ValueError(
                f'min_overlap must be in [0, 1], got {min_overlap}')
        self.min_overlap = min_overlap

    @cache_randomness
    def _sample_jitter(self) -> Tuple[float, np.ndarray, float]:
        """Random (scale factor, (2,) shift in box sides, angle in deg)."""
        scale = 1 + np.random.uniform(-self.scale_jitter, self.scale_jitter)
        shift = np.random.uniform(-self.shift_jitter, self.shift_jitter, 2)
        angle = np.random.uniform(-self.rotate_jitter, self.rotate_jitter)
        return scale, shift, angle

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        img = results['img']
        height, width = img.shape[:2]
        if self.box_source == 'roi_box':
            if 'roi_box' not in results:
                raise KeyError(f"{path}: FaceCrop(box_source='roi_box') "
                               'needs `roi_box` (4,) [sx, sy, ex, ey]')
            box = self._read_box(results, path)
        else:
            box = self._landmark_box(results, width, height, path)
        self._check_box(box, width, height, path)

        if self.jitter:
            affine, box = self._jittered_affine(box)
            warp = pixel_affine(torch.from_numpy(affine)[None])[0].numpy()
            crop = cv2.warpAffine(
                img,
                warp, (self.crop_size, self.crop_size),
                flags=INTERPOLATIONS[self.interpolation],
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0)
        else:
            box = np.round(box)
            crop = cv2.resize(
                self._padded_slice(img, box.astype(np.int64)),
                (self.crop_size, self.crop_size),
                interpolation=INTERPOLATIONS[self.interpolation])
            affine = box_affine(torch.from_numpy(box)[None],
                                self.crop_size)[0].numpy()
        if crop.ndim == 2 and img.ndim == 3:
            crop = crop[:, :, None]

        self._map_points(results, affine)
        if 'gt_params_img' in results:
            results['gt_params'] = self._crop_params(results, affine, path)
        results['img'] = crop
        results['img_shape'] = crop.shape[:2]
        results['roi_box'] = box.astype(np.float32)
        results['crop_affine'] = affine.astype(np.float32)
        return results

    @staticmethod
    def _read_box(results: dict, path: Optional[str]) -> np.ndarray:
        box = np.asarray(results['roi_box'], dtype=np.float64)
        if box.shape != (4, ):
            raise FaceDataError(path, f'roi_box has shape {box.shape}, '
                                'expected (4,) [sx, sy, ex, ey]')
        return box

    def _landmark_box(self, results: dict, width: int, height: int,
                      path: Optional[str]) -> np.ndarray:
        if self.landmark_key not in results:
            raise KeyError(f"{path}: FaceCrop(box_source='landmarks') needs "
                           f'`{self.landmark_key}` (N, 2) image landmarks')
        points = np.asarray(results[self.landmark_key], dtype=np.float64)
        if points.ndim != 2 or points.shape[1] < 2 or \
                not np.isfinite(points[:, :2]).all():
            raise FaceDataError(
                path, f'{self.landmark_key} must be finite (N, 2+) points, '
                f'got shape {points.shape}')
        visible = read_visibility(results, self.landmark_key)
        if visible is not None:
            if not visible.any():
                raise FaceDataError(
                    path, f'{self.landmark_key} has no visible point to '
                    'place the crop box on')
            points = points[visible]
        return benchmark_roi_box(points[:, :2].T[None], width, height)[0]

    def _check_box(self, box: np.ndarray, width: int, height: int,
                   path: Optional[str]) -> None:
        if not np.isfinite(box).all():
            raise FaceDataError(path, f'roi_box {box.tolist()} is not finite')
        side = box[2:] - box[:2]
        if (side <= 0).any():
            raise FaceDataError(path, f'roi_box {box.tolist()} is empty '
                                '(needs ex > sx and ey > sy)')
        limit = MAX_BOX_RATIO * max(width, height, self.crop_size)
        if side.max() > limit:
            raise FaceDataError(
                path, f'roi_box {box.tolist()} is more than {MAX_BOX_RATIO}x '
                f'the image ({width}x{height}); not a face box')
        inside = np.clip(np.minimum(box[2:], [width, height]) -
                         np.maximum(box[:2], 0), 0, None).prod()
        overlap = inside / side.prod()
        if overlap < self.min_overlap:
            raise FaceDataError(
                path, f'roi_box {box.tolist()} has {overlap:.0%} of its area '
                f'inside the {width}x{height} image (min_overlap='
                f'{self.min_overlap:.0%}): a box off the image, or an image '
                'far smaller than its box')

    def _jittered_affine(self, box: np.ndarray):
        """Random box around ``box`` -> (image-to-crop affine (2, 3), new
        unrotated box (4,))."""
        scale, shift, angle = self._sample_jitter()
        side = (box[2:] - box[:2]) * scale
        center = (box[:2] + box[2:]) / 2 + shift * (box[2:] - box[:2])
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        rotation = np.array([[cos, sin], [-sin, cos]])
        linear = np.diag(self.crop_size / side) @ rotation
        offset = self.crop_size / 2 - linear @ center
        affine = np.concatenate([linear, offset[:, None]], 1)
        return affine, np.concatenate([center - side / 2, center + side / 2])

    @staticmethod
    def _padded_slice(img: np.ndarray, box: np.ndarray) -> np.ndarray:
        """``img[sy:ey, sx:ex]`` with zeros where the box leaves the image."""
        sx, sy, ex, ey = box
        height, width = img.shape[:2]
        out = np.zeros((ey - sy, ex - sx) + img.shape[2:], dtype=img.dtype)
        x0, y0 = max(sx, 0), max(sy, 0)
        x1, y1 = min(ex, width), min(ey, height)
        if x1 > x0 and y1 > y0:
            out[y0 - sy:y1 - sy, x0 - sx:x1 - sx] = img[y0:y1, x0:x1]
        return out

    @staticmethod
    def _map_points(results: dict, affine: np.ndarray) -> None:
        affine_t = torch.from_numpy(affine)[None]
        for key in POINT_KEYS:
            if key not in results:
                continue
            points = torch.as_tensor(
                np.asarray(results[key], dtype=np.float64))[None]
            results[key] = transform_points(points, affine_t)[0].numpy(
            ).astype(np.float32)
            zero_hidden(results, key)

    def _crop_params(self, results: dict, affine: np.ndarray,
                     path: Optional[str]) -> np.ndarray:
        """(P,) float32 crop params of the image-frame ``gt_params_img``."""
        convention = results.get('params_convention')
        if convention is None:
            raise KeyError(f'{path}: FaceCrop needs `params_convention` '
                           "('v1' or 'v2') with `gt_params_img`")
        check_convention(convention)
        params = torch.as_tensor(
            np.asarray(results['gt_params_img'], dtype=np.float64))[None]
        return transform_params(params,
                                torch.from_numpy(affine)[None], convention,
                                self.crop_size)[0].numpy().astype(np.float32)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f"box_source='{self.box_source}', "
                f"landmark_key='{self.landmark_key}', "
                f"interpolation='{self.interpolation}', "
                f'scale_jitter={self.scale_jitter}, '
                f'shift_jitter={self.shift_jitter}, '
                f'rotate_jitter={self.rotate_jitter}, '
                f'min_overlap={self.min_overlap})')
