"""The 3D morphable model behind the 62 parameters (REFERENCE.md section 2)."""
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from mmface3d.registry import MODELS
from mmface3d.utils.data_root import get_data_root, resolve_data_path
from .affine import (invert_affine, is_reflection, transform_params,
                     transform_points)
from .bfm_files import BFM_LOADERS, load_param_stats
from .conventions import NUM_POSE, check_convention, flip_offsets
from .landmark_layouts import FLIP_INDICES_68
from .pose import camera_to_pose

NUM_LANDMARKS = 68


@MODELS.register_module()
class MorphableModel(nn.Module):
    """A linear 3D morphable model with the 3DDFA camera, batched in torch.

    ``params`` (B, 12 + n_shape + n_exp) hold the row-major 3x4 camera
    ``[f R | t]``, then the shape and expression coefficients. Vertices are
    ``S = u + w_shp @ a_s + w_exp @ a_e`` (xyz interleaved), projected into
    the crop as ``P[:, :3] @ S + P[:, 3]`` and then flipped by the params
    ``convention``:

    - ``'v1'`` (3DDFA v1, 2DASL): ``y = crop_size + 1 - y``;
    - ``'v2'`` (3DDFA_V2): ``x = x - 1``, ``y = crop_size - y``, and z is
      shifted to a minimum of 0 when mapped back to the image.

    All arrays are non-persistent buffers: ``.to(device)`` moves them, and
    checkpoints do not carry the (licensed) BFM.

    Args:
        model_path (str): BFM location, resolved against the data root: a
            directory of the 3DDFA layout (``u_shp.npy``, ``u_exp.npy``,
            ``w_shp_sim.npy``, ``w_exp_sim.npy``, ``keypoints_sim.npy``,
            ``tri.mat``) for ``layout='3ddfa'``, or ``bfm_noneck_v3.pkl``
            for ``layout='3ddfa_v2'``. Defaults to ``'bfm'``.
        layout (str): ``'3ddfa'`` or ``'3ddfa_v2'``. Defaults to ``'3ddfa'``.
        param_stats (str, optional): Whitening pickle (``param_whitening.pkl``
            or ``param_mean_std_62d_120x120.pkl``); None disables whitening.
            Defaults to ``'bfm/param_whitening.pkl'``.
        n_shape (int): Shape components used. Defaults to 40.
        n_exp (int): Expression components used. Defaults to 10.
        convention (str): ``'v1'`` or ``'v2'``, see above. Defaults to
            ``'v1'``.
        crop_size (int): Side of the square network input. Defaults to 120.
        data_root (str, optional): Explicit data root, see
            :func:`mmface3d.utils.get_data_root`. Defaults to None.
    """

    def __init__(self,
                 model_path: str = 'bfm',
                 layout: str = '3ddfa',
                 param_stats: Optional[str] = 'bfm/param_whitening.pkl',
                 n_shape: int = 40,
                 n_exp: int = 10,
                 convention: str = 'v1',
                 crop_size: int = 120,
                 data_root: Optional[str] = None) -> None:
        super().__init__()
        if layout not in BFM_LOADERS:
            raise ValueError(
                f"layout must be '3ddfa' or '3ddfa_v2', got {layout!r}")
        check_convention(convention)
        path = resolve_data_path(model_path, data_root)
        arrays = BFM_LOADERS[layout](path)
        self.model_path = model_path
        self.layout = layout
        self.n_shape, self.n_exp = n_shape, n_exp
        self.num_params = NUM_POSE + n_shape + n_exp
        self.convention = convention
        self.crop_size = crop_size
        self.flip_x, self.flip_y = flip_offsets(convention, crop_size)
        self.shift_z = convention == 'v2'

        u, w, tri = self._check_arrays(arrays, path)
        keypoints = arrays['keypoints'].astype(np.int64).reshape(-1)
        self.register_buffer('u', torch.from_numpy(u), persistent=False)
        self.register_buffer('w', torch.from_numpy(w), persistent=False)
        self.register_buffer(
            'u_kp', torch.from_numpy(u[keypoints]), persistent=False)
        self.register_buffer(
            'w_kp', torch.from_numpy(w[keypoints]), persistent=False)
        self.register_buffer(
            'keypoints',
            torch.from_numpy(keypoints[::3] // 3),
            persistent=False)
        self.register_buffer('tri', torch.from_numpy(tri), persistent=False)

        self.param_stats = param_stats
        if param_stats is not None:
            stats = load_param_stats(
                resolve_data_path(param_stats, data_root))
            if n_shape > 40 or n_exp > 10:
                raise ValueError(
                    f'{param_stats} whitens 40 shape + 10 expression '
                    f'parameters; n_shape={n_shape}, n_exp={n_exp} exceed it')
            keep = np.r_[0:NUM_POSE + n_shape, 52:52 + n_exp]
            self.register_buffer(
                'param_mean',
                torch.from_numpy(stats['mean'][keep]),
                persistent=False)
            self.register_buffer(
                'param_std',
                torch.from_numpy(stats['std'][keep]),
                persistent=False)

    def _check_arrays(self, arrays: Dict[str, np.ndarray], path: Path):
        """Validate the array shapes; return ``u`` (3N,), ``w`` (3N, K) and
        ``tri`` (M, 3) int64."""
        u = np.asarray(arrays['u'], dtype=np.float32).reshape(-1)
        num = u.shape[0]
        if num % 3:
            raise ValueError(f'{path}: mean shape `u` has {num} rows, '
                             'expected 3 * num_vertices (xyz interleaved)')
        blocks = []
        for key, k in (('w_shp', self.n_shape), ('w_exp', self.n_exp)):
            basis = np.asarray(arrays[key], dtype=np.float32)
            if basis.ndim != 2 or basis.shape[0] != num or basis.shape[1] < k:
                raise ValueError(
                    f'{path}: basis `{key}` has shape {basis.shape}, '
                    f'expected ({num}, >={k})')
            blocks.append(basis[:, :k])
        keypoints = arrays['keypoints'].reshape(-1)
        if keypoints.shape != (3 * NUM_LANDMARKS, ) or keypoints.max(
        ) >= num or keypoints.min() < 0:
            raise ValueError(
                f'{path}: `keypoints` has shape {keypoints.shape}, expected '
                f'(204,) row ids in [0, {num})')
        tri = arrays['tri']
        if tri.ndim != 2 or 3 not in tri.shape:
            raise ValueError(
                f'{path}: `tri` has shape {tri.shape}, expected (3, M)')
        tri = tri.T if tri.shape[0] == 3 else tri
        if tri.min() < 0 or tri.max() >= num // 3:
            raise ValueError(f'{path}: `tri` holds vertex ids outside '
                             f'[0, {num // 3})')
        return (u, np.ascontiguousarray(np.concatenate(blocks, axis=1)),
                np.ascontiguousarray(tri, dtype=np.int64))

    @property
    def num_vertices(self) -> int:
        """Number of vertices of the dense mesh."""
        return self.u.shape[0] // 3

    def extra_repr(self) -> str:
        return (f'layout={self.layout}, num_vertices={self.num_vertices}, '
                f'n_shape={self.n_shape}, n_exp={self.n_exp}, '
                f'convention={self.convention}, '
                f'param_stats={self.param_stats}')

    def check_params(self, params: Tensor, name: str = 'params') -> None:
        """Raise unless ``params`` is a (B, num_params) tensor of this
        model's dtype and device (the message says what to convert)."""
        expected = (f'a (B, {self.num_params}) tensor (12 pose + '
                    f'{self.n_shape} shape + {self.n_exp} expression)')
        if not isinstance(params, Tensor):
            shape = getattr(params, 'shape', None)
            raise TypeError(
                f'{name} must be {expected}, got {type(params).__name__}'
                f'{"" if shape is None else f" of shape {tuple(shape)}"}; '
                'convert it with torch.as_tensor(x, dtype=torch.float32)')
        if params.ndim != 2 or params.shape[1] != self.num_params:
            raise ValueError(
                f'{name} must be {expected}, got shape {tuple(params.shape)}')
        if params.dtype != self.u.dtype or params.device != self.u.device:
            raise TypeError(
                f'{name} are {params.dtype} on {params.device} but the '
                f'morphable model is {self.u.dtype} on {self.u.device}: '
                f'move one to the other (params.to(model.u) or '
                'model.to(params))')

    def whiten(self, params: Tensor) -> Tensor:
        """(B, P) raw params -> (B, P) whitened ``(p - mean) / std``."""
        self.check_params(params)
        self._check_stats()
        return (params - self.param_mean) / self.param_std

    def dewhiten(self, params_white: Tensor) -> Tensor:
        """(B, P) whitened params -> (B, P) raw ``p_w * std + mean``."""
        self.check_params(params_white, 'params_white')
        self._check_stats()
        return params_white * self.param_std + self.param_mean

    def _check_stats(self) -> None:
        if self.param_stats is None:
            raise ValueError('this MorphableModel was built with '
                             'param_stats=None: whitening is unavailable')

    def reconstruct(self,
                    params: Tensor,
                    vertex_ids: Optional[Tensor] = None) -> Tensor:
        """Project the face of each params vector into the crop.

        Args:
            params (Tensor): (B, P) raw (de-whitened) params.
            vertex_ids (Tensor, optional): (N,) ids of the vertices to
                build, e.g. every 50th for ICP; only their rows of the basis
                are used. Defaults to None (the whole mesh).

        Returns:
            Tensor: (B, 3, N) crop-frame points (x right, y down, z towards
            the camera), N = ``num_vertices`` or ``len(vertex_ids)``.

        Raises:
            ValueError: ``params`` hold NaN or inf (a mesh is not built from
                a diverged prediction).
        """
        self.check_params(params)
        finite = torch.isfinite(params).all(1)
        if not finite.all():
            raise ValueError(
                f'params of samples {(~finite).nonzero()[:, 0].tolist()} '
                'hold NaN or inf; no mesh is built from them')
        if vertex_ids is None:
            return self._project(params, self.u, self.w)
        rows = (3 * vertex_ids.to(self.u.device)[:, None] +
                torch.arange(3, device=self.u.device)).reshape(-1)
        return self._project(params, self.u[rows], self.w[rows])

    def landmarks(self, params: Tensor) -> Tensor:
        """(B, P) raw params -> (B, 3, 68) crop-frame landmarks, from the
        204 keypoint rows of the basis only."""
        return self._project(params, self.u_kp, self.w_kp)

    def _project(self, params: Tensor, u: Tensor, w: Tensor) -> Tensor:
        """Shapes from rows ``u`` (3N,) / ``w`` (3N, K) of the model,
        projected and flipped into the crop: (B, 3, N)."""
        self.check_params(params)
        camera = params[:, :NUM_POSE].reshape(-1, 3, 4)
        shape = (u + params[:, NUM_POSE:] @ w.T).reshape(
            params.shape[0], -1, 3).transpose(1, 2)
        pts = camera[:, :, :3] @ shape + camera[:, :, 3:]
        return torch.stack(
            [pts[:, 0] + self.flip_x, self.flip_y - pts[:, 1], pts[:, 2]], 1)

    @property
    def mesh_cfg(self) -> dict:
        """Config of this model's mesh and params convention (no
        whitening): what a consumer of its params needs to rebuild the same
        vertices, e.g. a mesh metric. Predictions carry it in their
        metainfo."""
        return dict(
            type='MorphableModel',
            model_path=self.model_path,
            layout=self.layout,
            param_stats=None,
            n_shape=self.n_shape,
            n_exp=self.n_exp,
            convention=self.convention,
            crop_size=self.crop_size)

    def crop_to_image(self, points: Tensor, crop_affine: Tensor) -> Tensor:
        """Map crop-frame points back into the original image.

        Args:
            points (Tensor): (B, 3, N) crop-frame points.
            crop_affine (Tensor): (B, 2, 3) image-to-crop affines of the
                crops (a sample's ``crop_affine``).

        Returns:
            Tensor: (B, 3, N) image points; z is scaled by the mean of the
            inverse map's two axis scales (and shifted to min 0 for
            ``'v2'``).
        """
        inverse = invert_affine(self._check_affine(crop_affine, points))
        image = transform_points(points.transpose(1, 2),
                                 inverse).transpose(1, 2)
        return self.normalize_image_depth(image)

    def image_params(self, params: Tensor,
                     crop_affine: Tensor) -> Tuple[Tensor, Tensor]:
        """Params that project straight into the original image.

        Exact for any crop map (:func:`~.affine.transform_params` with the
        inverse of ``crop_affine``). A face predicted on a mirrored crop
        (``det crop_affine < 0``) with a proper camera, as a network predicts
        it, comes back as a mirror image: its image camera is improper, its
        landmark k sits on the image's landmark ``FLIP_INDICES_68[k]`` and
        its pose is that of the camera times ``diag(-1, 1, 1)``; see
        :meth:`image_landmarks` and :meth:`image_pose`. Params that are
        already improper in the crop (the exact image of a face through a
        mirror, :func:`~.affine.transform_params`) are not a mirror image.

        Args:
            params (Tensor): (B, P) raw crop params.
            crop_affine (Tensor): (B, 2, 3) image-to-crop affines.

        Returns:
            tuple[Tensor, Tensor]: (B, P) image-frame params and (B,) bool,
            True where the image-frame face is a mirror image.
        """
        self.check_params(params)
        inverse = invert_affine(self._check_affine(crop_affine, params))
        image = transform_params(params, inverse, self.convention,
                                 self.crop_size)
        camera = params[:, :NUM_POSE].reshape(-1, 3, 4)[:, :, :3]
        mirrored = is_reflection(crop_affine.to(params)) & (
            torch.linalg.det(camera) > 0)
        return image, mirrored

    def image_landmarks(self, params: Tensor, crop_affine: Tensor) -> Tensor:
        """(B, P) raw crop params -> (B, 68, 3) landmarks in the original
        image, in the 68-point order of the image's face (re-ordered where
        the face is a mirror image, see :meth:`image_params`)."""
        image, mirrored = self.image_params(params, crop_affine)
        points = self.normalize_image_depth(self.landmarks(image)).transpose(
            1, 2)
        flipped = points[:, torch.from_numpy(FLIP_INDICES_68).to(
            points.device)]
        return torch.where(mirrored[:, None, None], flipped, points)

    def image_pose(self, params: Tensor, crop_affine: Tensor) -> Tensor:
        """(B, P) raw crop params -> (B, 3) ``[yaw, pitch, roll]`` in degrees
        of the face in the original image (in-plane crop rotations and
        mirrors undone)."""
        image, mirrored = self.image_params(params, crop_affine)
        camera = image[:, :NUM_POSE].reshape(-1, 3, 4)
        unmirror = torch.where(mirrored, -1.0, 1.0).to(camera)
        camera = torch.cat([camera[:, :, :1] * unmirror[:, None, None],
                            camera[:, :, 1:]], 2)
        return camera_to_pose(camera)

    def normalize_image_depth(self, points: Tensor) -> Tensor:
        """(B, 3, N) image points with z shifted to min 0 for ``'v2'`` (as
        3DDFA_V2 does; ``'v1'`` points are returned as they are)."""
        if not self.shift_z:
            return points
        return torch.cat(
            [points[:, :2], points[:, 2:] - points[:, 2:].amin(2, True)], 1)

    @staticmethod
    def _check_affine(crop_affine: Tensor, like: Tensor) -> Tensor:
        if not isinstance(crop_affine, Tensor) or \
                crop_affine.shape != (like.shape[0], 2, 3):
            shape = tuple(getattr(crop_affine, 'shape', ()))
            raise ValueError(f'crop_affine must be a ({like.shape[0]}, 2, 3) '
                             f'image-to-crop affine tensor, got {shape}')
        return crop_affine.to(like)

    def pose(self, params: Tensor) -> Tensor:
        """(B, P) raw params -> (B, 3) ``[yaw, pitch, roll]`` in degrees of
        the params' own frame (:meth:`image_pose` for a crop's face in its
        image)."""
        self.check_params(params)
        return camera_to_pose(params[:, :NUM_POSE].reshape(-1, 3, 4))


_MODELS: Dict[str, MorphableModel] = {}


def get_morphable_model(cfg: dict,
                        data_root: Optional[str] = None) -> MorphableModel:
    """The :class:`MorphableModel` of a config, built once per process (the
    BFM arrays are tens of MB), e.g. from a prediction's
    ``pred_morphable_model`` metainfo.

    Args:
        cfg (dict): Its arguments; a ``type`` key is ignored.
        data_root (str, optional): Data root where ``cfg`` names none.
            Defaults to None.

    Returns:
        MorphableModel: The shared model, on the CPU (do not modify it).
    """
    args = {k: v for k, v in cfg.items() if k != 'type'}
    # key on the resolved root: $MMFACE3D_DATA may change within a process
    args['data_root'] = str(get_data_root(args.get('data_root', data_root)))
    key = repr(sorted(args.items()))
    if key not in _MODELS:
        try:
            _MODELS[key] = MorphableModel(**args)
        except TypeError as err:
            raise TypeError(f'morphable model config {cfg}: {err}') from err
    return _MODELS[key]
