"""Horizontal flip of a face crop, its landmarks and its 3DMM params."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmface3d.morphable import (FLIP_INDICES, FaceMirror, check_convention,
                                compose_affine, flip_affine, get_face_mirror)
from mmface3d.registry import TRANSFORMS
from .face_crop import POINT_KEYS
from .visibility import VISIBILITY_KEYS, read_visibility


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Mirror a face crop left-right with probability ``prob``.

    Place it after :class:`FaceCrop` and before :class:`LandmarkMap`: it
    works in the frame of the current ``img`` (width W). Pixel column ``j``
    becomes column ``W - 1 - j``, so a point whose coordinates put pixel
    centres at ``pixel_origin + j`` maps as ``x -> W + 2 pixel_origin - 1 -
    x``: ``W + 1 - x`` for the 1-based points of AFLW2000-3D, 300W-LP and the
    v1 crops, ``W - 1 - x`` for 0-based ones. Landmarks are renumbered by
    the mirror permutation of their layout,
    looked up by their point count K in ``flip_indices``:
    :data:`~mmface3d.morphable.FLIP_INDICES_68` for 68 points (so index 36
    stays the image-left eye corner) and
    :data:`~mmface3d.morphable.FLIP_INDICES_21` for the 21 AFLW points. A K
    with no permutation is an error, never a guess. The visibility masks
    ``gt_landmarks_visible`` / ``landmarks_2d_input_visible`` move with
    their points, and hidden rows stay 0.

    A 21-point in-the-wild list placed in the 68 rows
    (:func:`~mmface3d.morphable.aflw21_to_68`) holds each eye
    centre in two lid rows (37 / 40, 43 / 46) that the 68-point mirror does
    not send onto each other's pair (37 <-> 44, 40 <-> 47), so a flipped
    sample has the two eye centres hidden: the landmark map leaves them out
    rather than misplace them.

    ``gt_params`` (crop params in the sample's ``params_convention``) are
    mirrored by :class:`~mmface3d.morphable.FaceMirror`: the pose exactly
    (yaw and roll change sign), shape and expression by a least-squares
    re-fit to the mirrored mesh, so the flipped params reproduce the flipped
    landmarks. The
    morphable model and its mirror are built on the first flipped 3D sample
    and cached per process. The image-frame ground truth
    (``gt_landmarks_img``, ``gt_params_img``) is not touched: the mirror is
    part of ``crop_affine``.

    Required Keys:

    - img (np.ndarray): (H, W, C).

    Modified Keys:

    - img
    - gt_landmarks_2d, gt_landmarks_3d, landmarks_2d_input (optional,
      (K, D), K a key of ``flip_indices``)
    - gt_landmarks_visible, landmarks_2d_input_visible (optional, (K,)
      bool)
    - gt_params (optional)
    - crop_affine (optional): composed with the mirror.
    - flip: toggled when flipped (False is written when absent).

    Args:
        prob (float): Flip probability. Defaults to 0 (300W-LP ships
            mirrored copies).
        morphable_model (dict): :class:`MorphableModel` arguments of the
            params (``type`` optional). Defaults to the 3DDFA BFM
            (``model_path='bfm'``, 40 shape + 10 expression).
        symlist (str): BFM ``model_info.mat`` with the ``symlist`` mirror
            pairs. Defaults to ``'bfm/model_info.mat'``.
        vertex_ids (str, optional): ``.npy`` of the model's vertex ids in the
            ``symlist`` mesh: ``'bfm/indices.npy'`` for the no-neck 3DDFA_V2
            model, None for the full model. Defaults to None.
        crop_size (int): Crop side of the params convention. Defaults to
            120.
        pixel_origin (float): Coordinate of the centre of pixel 0 in the
            points and params: 1 for the 1-based annotations (AFLW2000-3D,
            300W-LP, their crops in either params convention, synthetic v1
            faces), 0 for 0-based points (synthetic v2 faces), 0.5 for
            pixel-corner coordinates. Defaults to 1.0.
        data_root (str, optional): Explicit data root. Defaults to None.
        flip_indices (dict[int, Sequence[int]], optional): Extra or
            replacement mirror permutations, keyed by the point count K:
            ``perm[k]`` is the old index of the point that becomes point k.
            Each must be an involution of ``range(K)``. Merged over the
            defaults ``{68: FLIP_INDICES_68, 21: FLIP_INDICES_21}``.
            Defaults to None.
    """

    def __init__(self,
                 prob: float = 0.0,
                 morphable_model: Optional[dict] = None,
                 symlist: str = 'bfm/model_info.mat',
                 vertex_ids: Optional[str] = None,
                 crop_size: int = 120,
                 pixel_origin: float = 1.0,
                 data_root: Optional[str] = None,
                 flip_indices: Optional[Dict[int, Sequence[int]]] = None
                 ) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.morphable_model = dict(
            model_path='bfm', layout='3ddfa', n_shape=40, n_exp=10) \
            if morphable_model is None else dict(morphable_model)
        self.symlist = symlist
        self.vertex_ids = vertex_ids
        self.crop_size = crop_size
        self.pixel_origin = pixel_origin
        self.data_root = data_root
        self.flip_indices = flip_indices
        self._mirror: Optional[FaceMirror] = None
        self.permutations = dict(FLIP_INDICES)
        for num, perm in (flip_indices or {}).items():
            perm = np.asarray(perm, dtype=np.int64)
            if perm.shape != (num, ) or \
                    not np.array_equal(np.sort(perm), np.arange(num)) or \
                    not np.array_equal(perm[perm], np.arange(num)):
                raise ValueError(
                    f'flip_indices[{num}] must be a permutation of '
                    f'range({num}) that is its own inverse (a mirror pairs '
                    f'points), got {perm.tolist()}')
            self.permutations[num] = perm

    @property
    def mirror(self) -> FaceMirror:
        """The params mirror of ``morphable_model``, looked up in the
        process-wide cache on first use."""
        if self._mirror is None:
            self._mirror = get_face_mirror(self.morphable_model, self.symlist,
                                           self.vertex_ids, self.data_root)
        return self._mirror

    @cache_randomness
    def _do_flip(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        if 'landmark_map' in results:
            raise ValueError('RandomFlip must run before LandmarkMap: '
                             '`landmark_map` is already in the results')
        if not self._do_flip():
            results.setdefault('flip', False)
            return results
        # permutations and masks are all checked before anything changes
        layouts = {
            key: (self._permutation(results, key),
                  read_visibility(results, key))
            for key in POINT_KEYS if key in results
        }
        img = results['img']
        # x -> axis - x sends pixel centre origin + j to origin + W - 1 - j
        axis = img.shape[1] + 2 * self.pixel_origin - 1
        results['img'] = np.ascontiguousarray(img[:, ::-1])
        for key, (perm, visible) in layouts.items():
            points = np.array(results[key], dtype=np.float32)
            points[:, 0] = axis - points[:, 0]
            results[key] = points[perm]
            if visible is not None:
                results[VISIBILITY_KEYS[key]] = visible[perm]
                results[key][~visible[perm]] = 0
        if 'gt_params' in results:
            convention = results.get('params_convention')
            if convention is None:
                raise KeyError(f'{results.get("img_path")}: RandomFlip needs '
                               "`params_convention` ('v1' or 'v2') to "
                               'mirror `gt_params`')
            check_convention(convention)
            params = torch.as_tensor(
                np.asarray(results['gt_params'], dtype=np.float64))[None]
            results['gt_params'] = self.mirror(
                params, params.new_tensor([axis]), convention,
                self.crop_size)[0].numpy().astype(np.float32)
        if 'crop_affine' in results:
            affine = torch.as_tensor(
                np.asarray(results['crop_affine'], dtype=np.float64))[None]
            results['crop_affine'] = compose_affine(
                flip_affine(affine.new_tensor([axis])),
                affine)[0].numpy().astype(np.float32)
        results['flip'] = not results.get('flip', False)
        return results

    def _permutation(self, results: dict, key: str) -> np.ndarray:
        """The mirror permutation of the ``results[key]`` layout."""
        path = results.get('img_path')
        points = np.asarray(results[key])
        if points.ndim != 2 or points.shape[1] < 2:
            raise ValueError(f'{path}: {key} must be (K, D) points to be '
                             f'flipped, got {points.shape}')
        num = points.shape[0]
        if num not in self.permutations:
            raise ValueError(
                f'{path}: {key} has {num} points and RandomFlip knows no '
                f'left-right permutation of a {num}-point layout (known: '
                f'{sorted(self.permutations)}); pass flip_indices={{{num}: '
                '[...]}} or set prob=0 for this dataset')
        return self.permutations[num]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'morphable_model={self.morphable_model}, '
                f"symlist='{self.symlist}', vertex_ids={self.vertex_ids!r}, "
                f'crop_size={self.crop_size}, '
                f'pixel_origin={self.pixel_origin}, '
                f'data_root={self.data_root!r}, '
                f'flip_indices={self.flip_indices})')
