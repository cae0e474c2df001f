"""Pack a sample into the network input and a Face3DDataSample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmface3d.registry import TRANSFORMS
from mmface3d.structures import Face3DDataSample
from .face_data_error import FaceDataError
from .visibility import read_visibility

DEFAULT_META_KEYS = ('img_path', 'img_id', 'ori_shape', 'img_shape',
                     'roi_box', 'crop_affine', 'yaw', 'flip', 'has_3d',
                     'has_2d', 'params_convention')
# key -> expected shape (a name: any length)
DATA_FIELDS = {
    'gt_params': ('P', ),
    'gt_params_img': ('P', ),
    'gt_landmarks_2d': ('K', 2),
    'gt_landmarks_3d': (68, 3),
    'gt_landmarks_img': ('K', 'D'),
    'landmarks_2d_input': (68, 2),
    'gt_bbox': (4, ),
}
# masks packed as bool tensors, each checked against its points
MASK_FIELDS = {
    'gt_landmarks_visible': 'gt_landmarks_2d',
    'gt_landmarks_img_visible': 'gt_landmarks_img',
    'landmarks_2d_input_visible': 'landmarks_2d_input',
}


@TRANSFORMS.register_module()
class PackFace3DInputs(BaseTransform):
    """Pack the crop (and landmark map) into ``inputs`` and the annotations
    into a :class:`~mmface3d.structures.Face3DDataSample`.

    Required Keys:

    - img (np.ndarray): (H, W, C) crop (normally float32 from
      :class:`NormalizeFace`).

    Optional Keys:

    - landmark_map (np.ndarray): (H, W), appended as the last channel.
    - gt_params (P,), gt_params_img (P,), gt_landmarks_2d (68, 2) or (K, 2)
      (benchmark points), gt_landmarks_3d (68, 3), gt_landmarks_img (K, D),
      landmarks_2d_input (68, 2), gt_bbox (4,) (``[x0, y0, x1, y1]`` image
      pixels, the NME normaliser): float32 data fields, see
      :class:`~mmface3d.structures.Face3DDataSample`.
    - gt_landmarks_visible (K,), gt_landmarks_img_visible (K,),
      landmarks_2d_input_visible (68,): bool data fields, the masks of
      ``gt_landmarks_2d`` / ``gt_landmarks_img`` / ``landmarks_2d_input``
      (which must then be present).
    - the ``meta_keys`` present.

    Added Keys:

    - inputs (Tensor): (C [+ 1], H, W) float32.
    - data_samples (Face3DDataSample)

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo when
            present. Defaults to ``('img_path', 'img_id', 'ori_shape',
            'img_shape', 'roi_box', 'crop_affine', 'yaw', 'flip', 'has_3d',
            'has_2d', 'params_convention')``.

    Raises:
        FaceDataError: The image, the map or an annotation holds NaN or inf,
            an annotation has the wrong shape, or a mask is not one bool per
            row of its points (the error names ``img_path`` and the key).
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        img = np.asarray(results['img'])
        if img.ndim == 2:
            img = img[:, :, None]
        channels = [img.astype(np.float32).transpose(2, 0, 1)]
        if 'landmark_map' in results:
            landmark_map = np.asarray(results['landmark_map'], np.float32)
            if landmark_map.shape != img.shape[:2]:
                raise FaceDataError(
                    path, f'landmark_map has shape {landmark_map.shape}, '
                    f'expected the crop size {img.shape[:2]}')
            channels.append(landmark_map[None])
        inputs = np.concatenate(channels, 0)
        if not np.isfinite(inputs).all():
            raise FaceDataError(path, 'the network input (img / '
                                'landmark_map) holds NaN or inf')

        data_sample = Face3DDataSample()
        for key, shape in DATA_FIELDS.items():
            if key not in results:
                continue
            value = np.asarray(results[key], dtype=np.float32)
            if value.ndim != len(shape) or any(
                    isinstance(want, int) and got != want
                    for got, want in zip(value.shape, shape)):
                raise FaceDataError(
                    path, f'{key} has shape {value.shape}, expected '
                    f'({", ".join(map(str, shape))}'
                    f'{"," if len(shape) == 1 else ""})')
            if not np.isfinite(value).all():
                raise FaceDataError(path, f'{key} holds NaN or inf')
            data_sample.set_field(torch.from_numpy(value), key)
        for key, points_key in MASK_FIELDS.items():
            if key not in results:
                continue
            if points_key not in results:
                raise FaceDataError(
                    path, f'{key} is given without the {points_key} it '
                    'flags')
            data_sample.set_field(
                torch.from_numpy(read_visibility(results, points_key).copy()),
                key)
        data_sample.set_metainfo(
            {key: results[key]
             for key in self.meta_keys if key in results})
        return {
            'inputs': torch.from_numpy(np.ascontiguousarray(inputs)),
            'data_samples': data_sample
        }

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
