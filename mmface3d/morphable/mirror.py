"""Mirroring morphable-model params: the mirror image of a face as params.

The pose of a mirrored face is exact; its shape and expression are re-fitted
by least squares to the mirrored mesh, with a projection precomputed once
per morphable model (:func:`get_face_mirror` caches it).
"""
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np
import scipy.io as sio
import torch
from torch import Tensor

from mmface3d.utils.data_root import resolve_data_path
from .affine import (compose_affine, flip_affine, invert_affine,
                     transform_params)
from .conventions import NUM_POSE
from .morphable_model import MorphableModel, get_morphable_model


def load_symlist(path: Path,
                 num_vertices: Optional[int] = None) -> np.ndarray:
    """Mirror partner of every vertex from a BFM ``model_info.mat``.

    ``symlist`` (2, L) holds 1-based pairs of left/right vertex ids (a pair
    of one id twice marks a vertex on the symmetry plane). A few vertices
    appear in more than one pair: the first pair wins. Vertices in no pair
    are their own partner.

    Args:
        path (Path): The ``.mat`` file.
        num_vertices (int, optional): Vertices of the mesh the ids refer
            to; None takes the largest id. Defaults to None.

    Returns:
        np.ndarray: (num_vertices,) int64 0-based partner ids.
    """
    mat = sio.loadmat(str(path), variable_names=['symlist'])
    if 'symlist' not in mat:
        raise ValueError(f'{path}: field `symlist` is missing (expected '
                         '(2, L) 1-based pairs of mirror vertices)')
    pairs = np.asarray(mat['symlist'], dtype=np.int64)
    if pairs.ndim != 2 or pairs.shape[0] != 2:
        raise ValueError(f'{path}: `symlist` has shape {pairs.shape}, '
                         'expected (2, L)')
    if num_vertices is None:
        num_vertices = int(pairs.max())
    if pairs.min() < 1 or pairs.max() > num_vertices:
        raise ValueError(
            f'{path}: `symlist` ids span [{pairs.min()}, {pairs.max()}], '
            f'expected 1-based ids of a {num_vertices}-vertex mesh in [1, '
            f'{num_vertices}] (for a model on a vertex subset, pass '
            "vertex_ids, e.g. 'bfm/indices.npy' for the no-neck model)")
    pairs = pairs - 1
    ids = np.concatenate([pairs[0], pairs[1]])
    mates = np.concatenate([pairs[1], pairs[0]])
    partner = np.arange(num_vertices)
    first_ids, first_pos = np.unique(ids, return_index=True)
    partner[first_ids] = mates[first_pos]
    return partner


class FaceMirror:
    """Params of the horizontally mirrored face.

    The mirror of a mesh ``S`` maps vertex ``i`` to the reflection of its
    partner ``m(i)`` across the model's symmetry plane ``x = c``:
    ``M(S)_i = D S_m(i) + (2c, 0, 0)`` with ``D = diag(-1, 1, 1)``; ``c`` is
    the least-squares plane of the mean shape. For params ``[P | alpha]``
    and the image mirror ``x -> a - x`` (``a = W + 2 o - 1`` for an image of
    width W whose pixel centres are at ``o + j``, see ``RandomFlip``):

    - camera: the image mirror applied to the projection
      (:func:`transform_params`), then ``D`` on the model side, which makes
      ``P'[:, :3]`` a scaled rotation again (yaw and roll change sign);
    - shape: ``alpha' = pinv(w) (M(u + w alpha) - u) = K alpha + k``, with
      the (K, K) matrix ``K`` and (K,) vector ``k`` computed here once.

    Only vertices whose partner is in the model take part in the fit (all of
    them for the full BFM; the no-neck model loses a few near its border).

    Args:
        model (MorphableModel): The model the params belong to.
        symlist (str | Path): ``model_info.mat`` holding ``symlist``.
        vertex_ids (np.ndarray, optional): (N,) ids of the model's vertices
            in the mesh ``symlist`` refers to (``indices.npy`` for the no-neck
            model); None when they are the same mesh. Defaults to None.

    Attributes:
        shape_matrix (Tensor): (K, K) float64 ``K``.
        shape_offset (Tensor): (K,) float64 ``k``.
        center (float): ``c``, in model units.
        num_fitted (int): Vertices used in the fit.
    """

    def __init__(self,
                 model: MorphableModel,
                 symlist: Path,
                 vertex_ids: Optional[np.ndarray] = None) -> None:
        num = model.num_vertices
        if vertex_ids is None:
            partner = load_symlist(symlist, num)
        else:
            vertex_ids = np.asarray(vertex_ids, dtype=np.int64).reshape(-1)
            if vertex_ids.shape != (num, ):
                raise ValueError(
                    f'vertex_ids has {vertex_ids.shape[0]} ids, expected one '
                    f'per model vertex ({num})')
            full = load_symlist(symlist)
            if vertex_ids.min() < 0 or vertex_ids.max() >= full.shape[0]:
                raise ValueError(
                    f'vertex_ids span [{vertex_ids.min()}, '
                    f'{vertex_ids.max()}], outside the {full.shape[0]}-vertex '
                    f'mesh of {symlist}')
            local = np.full(full.shape[0], -1, dtype=np.int64)
            local[vertex_ids] = np.arange(num)
            partner = local[full[vertex_ids]]
        rows = np.nonzero(partner >= 0)[0]
        partner = partner[rows]
        self.num_fitted = int(rows.size)

        u = model.u.double().cpu().numpy().reshape(num, 3)
        w = model.w.double().cpu().numpy().reshape(num, 3, -1)
        self.center = float((u[rows, 0] + u[partner, 0]).mean() / 2)
        reflect = np.array([-1.0, 1.0, 1.0])
        w_rows = w[rows].reshape(-1, w.shape[2])
        w_mirror = (w[partner] * reflect[:, None]).reshape(-1, w.shape[2])
        u_mirror = u[partner] * reflect + [2 * self.center, 0, 0]
        gram = w_rows.T @ w_rows
        self.shape_matrix = torch.from_numpy(
            np.linalg.solve(gram, w_rows.T @ w_mirror))
        self.shape_offset = torch.from_numpy(
            np.linalg.solve(gram, w_rows.T @ (u_mirror - u[rows]).reshape(-1)))

    def __call__(self,
                 params: Tensor,
                 axis: Tensor,
                 convention: str = 'v1',
                 crop_size: int = 120) -> Tensor:
        """Mirror params.

        Args:
            params (Tensor): (B, 12 + K) raw params of the image.
            axis (Tensor): (B,) the image mirror ``x -> axis - x`` in the
                params' pixel coordinates (``W + 1`` for a 1-based crop of
                width W).
            convention (str): Params convention. Defaults to ``'v1'``.
            crop_size (int): Crop side of the convention. Defaults to 120.

        Returns:
            Tensor: (B, 12 + K) params of the mirrored image.
        """
        num_shape = self.shape_matrix.shape[0]
        if params.ndim != 2 or params.shape[1] != NUM_POSE + num_shape:
            raise ValueError(f'params must be (B, {NUM_POSE + num_shape}) '
                             f'for this model, got {tuple(params.shape)}')
        batch = params.shape[0]
        mirrored = transform_params(params, flip_affine(axis.to(params)),
                                    convention, crop_size)
        camera = mirrored[:, :NUM_POSE].reshape(batch, 3, 4)
        rotation = camera[:, :, :3] * params.new_tensor([-1.0, 1.0, 1.0])
        translation = camera[:, :, 3] - 2 * self.center * rotation[:, :, 0]
        camera = torch.cat([rotation, translation[..., None]], 2)
        shape = params[:, NUM_POSE:] @ self.shape_matrix.to(params).T + \
            self.shape_offset.to(params)
        return torch.cat([camera.reshape(batch, NUM_POSE), shape], 1)


_MIRRORS: Dict[Tuple[int, str, str], FaceMirror] = {}


def get_face_mirror(model_cfg: dict,
                    symlist: str = 'bfm/model_info.mat',
                    vertex_ids: Optional[str] = None,
                    data_root: Optional[str] = None) -> FaceMirror:
    """The :class:`FaceMirror` of a morphable model, built once per process.

    Args:
        model_cfg (dict): :class:`MorphableModel` arguments (a ``type`` key is
            ignored; whitening statistics are not needed).
        symlist (str): ``model_info.mat`` with ``symlist``, resolved against
            the data root. Defaults to ``'bfm/model_info.mat'``.
        vertex_ids (str, optional): ``.npy`` with the model's vertex ids in
            the ``symlist`` mesh (``'bfm/indices.npy'`` for the no-neck
            model). Defaults to None.
        data_root (str, optional): Explicit data root. Defaults to None.

    Returns:
        FaceMirror: The cached mirror.
    """
    model = get_morphable_model(dict(model_cfg, param_stats=None), data_root)
    symlist_path = resolve_data_path(symlist, data_root)
    ids_path = None if vertex_ids is None else resolve_data_path(
        vertex_ids, data_root)
    # the models are cached for the process, so their ids are stable keys
    key = (id(model), str(symlist_path), str(ids_path))
    if key not in _MIRRORS:
        ids = None if ids_path is None else np.load(ids_path)
        _MIRRORS[key] = FaceMirror(model, symlist_path, ids)
    return _MIRRORS[key]


def unmirror_image_params(mirror: FaceMirror, params: Tensor,
                          crop_affine: Tensor, convention: str = 'v1',
                          crop_size: int = 120) -> Tensor:
    """Image-frame params of the face a model predicted on a mirrored crop.

    A mirrored crop map factors as ``crop_affine = F o A0`` with the mirror
    ``F: x -> -x`` and ``A0 = F o crop_affine`` (det > 0). The prediction is
    the mirrored face in the frame of ``crop_affine``; :class:`FaceMirror`
    turns it into the face itself in the frame of ``A0`` (pose exact, shape
    re-fitted), which then maps exactly into the image.

    Args:
        mirror (FaceMirror): The mirror of the params' morphable model.
        params (Tensor): (B, P) raw crop params predicted on mirrored crops.
        crop_affine (Tensor): (B, 2, 3) their image-to-crop affines
            (det < 0).
        convention (str): Params convention. Defaults to ``'v1'``.
        crop_size (int): Crop side of the convention. Defaults to 120.

    Returns:
        Tensor: (B, P) image-frame params with a proper camera.
    """
    axis = params.new_zeros(params.shape[0])
    unmirrored_affine = compose_affine(flip_affine(axis),
                                       crop_affine.to(params))
    unmirrored = mirror(params, axis, convention, crop_size)
    return transform_params(unmirrored, invert_affine(unmirrored_affine),
                            convention, crop_size)
