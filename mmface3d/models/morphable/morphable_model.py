"""The 3D morphable model behind the 62 parameters (REFERENCE.md section 2)."""
import pickle
from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np
import scipy.io as sio
import torch
from torch import Tensor, nn

from mmface3d.registry import MODELS
from mmface3d.utils.data_root import resolve_data_path
from .pose import camera_to_pose, fit_to_params, flip_offsets

NUM_POSE = 12
NUM_LANDMARKS = 68

# Files of the 3DDFA "train.configs" layout, all in one directory.
TDDFA_FILES = {
    'u_shp': 'u_shp.npy',
    'u_exp': 'u_exp.npy',
    'w_shp': 'w_shp_sim.npy',
    'w_exp': 'w_exp_sim.npy',
    'keypoints': 'keypoints_sim.npy',
    'tri': 'tri.mat',
}


def _load_pickle(path: Path) -> dict:
    with open(path, 'rb') as f:
        data = pickle.load(f)
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a pickled dict, got '
                         f'{type(data).__name__}')
    return data


def _load_tddfa(directory: Path) -> Dict[str, np.ndarray]:
    """Arrays of the 3DDFA layout; triangles come back 0-based."""
    arrays = {}
    for key, name in TDDFA_FILES.items():
        path = resolve_data_path(directory / name)
        if key == 'tri':
            mat = sio.loadmat(str(path))
            if 'tri' not in mat:
                raise ValueError(f'{path}: field `tri` is missing (expected '
                                 '(3, M) 1-based triangles)')
            arrays[key] = np.asarray(mat['tri'], dtype=np.int64) - 1
        else:
            arrays[key] = np.load(path)
    arrays['u'] = arrays.pop('u_shp') + arrays.pop('u_exp')
    return arrays


def _load_tddfa_v2(path: Path) -> Dict[str, np.ndarray]:
    """Arrays of the 3DDFA_V2 ``bfm_noneck_v3.pkl`` layout (0-based tri)."""
    data = _load_pickle(path)
    missing = {'u', 'w_shp', 'w_exp', 'keypoints', 'tri'} - set(data)
    if missing:
        raise ValueError(f'{path}: keys {sorted(missing)} are missing '
                         "(expected 'u', 'w_shp', 'w_exp', 'keypoints', "
                         "'tri')")
    return {k: np.asarray(data[k]) for k in
            ('u', 'w_shp', 'w_exp', 'keypoints', 'tri')}


LOADERS = {'3ddfa': _load_tddfa, '3ddfa_v2': _load_tddfa_v2}


def _load_param_stats(path: Path) -> Dict[str, np.ndarray]:
    """Whitening statistics from either release's pickle layout."""
    data = _load_pickle(path)
    for mean_key, std_key in (('param_mean', 'param_std'), ('mean', 'std')):
        if mean_key in data and std_key in data:
            mean = np.asarray(data[mean_key], dtype=np.float32).reshape(-1)
            std = np.asarray(data[std_key], dtype=np.float32).reshape(-1)
            break
    else:
        raise ValueError(f"{path}: expected keys 'param_mean'/'param_std' "
                         f"(3DDFA) or 'mean'/'std' (3DDFA_V2), got "
                         f'{sorted(data)}')
    for name, arr in (('mean', mean), ('std', std)):
        if arr.shape != (62, ):
            raise ValueError(f'{path}: {name} has shape {arr.shape}, '
                             'expected (62,) (12 pose + 40 shape + 10 exp)')
    if not (std > 0).all():
        raise ValueError(f'{path}: std must be positive')
    return {'mean': mean, 'std': std}


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
        if layout not in LOADERS:
            raise ValueError(
                f"layout must be '3ddfa' or '3ddfa_v2', got {layout!r}")
        path = resolve_data_path(model_path, data_root)
        arrays = LOADERS[layout](path)
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
            stats = _load_param_stats(
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
        """Raise ``ValueError`` unless ``params`` is (B, num_params)."""
        if not isinstance(params, Tensor) or params.ndim != 2 or \
                params.shape[1] != self.num_params:
            shape = tuple(params.shape) if hasattr(params, 'shape') else \
                type(params).__name__
            raise ValueError(
                f'{name} must be a (B, {self.num_params}) tensor (12 pose + '
                f'{self.n_shape} shape + {self.n_exp} expression), got '
                f'{shape}')

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
        """
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

    def crop_to_image(self, points: Tensor, roi_box: Tensor) -> Tensor:
        """Map crop-frame points back into the original image.

        Args:
            points (Tensor): (B, 3, N) crop-frame points.
            roi_box (Tensor): (B, 4) crop boxes ``[sx, sy, ex, ey]`` in the
                original image.

        Returns:
            Tensor: (B, 3, N) image points; z is scaled by the mean of the
            two axis scales (and shifted to min 0 for ``'v2'``).
        """
        if roi_box.ndim != 2 or roi_box.shape != (points.shape[0], 4):
            raise ValueError(f'roi_box must be ({points.shape[0]}, 4) '
                             f'[sx, sy, ex, ey], got {tuple(roi_box.shape)}')
        roi_box = roi_box.to(points)
        start = roi_box[:, :2, None]
        scale = (roi_box[:, 2:] - roi_box[:, :2])[..., None] / self.crop_size
        xy = points[:, :2] * scale + start
        z = points[:, 2:] * scale.mean(1, keepdim=True)
        if self.shift_z:
            z = z - z.amin(2, keepdim=True)
        return torch.cat([xy, z], 1)

    def pose(self, params: Tensor) -> Tensor:
        """(B, P) raw params -> (B, 3) ``[yaw, pitch, roll]`` in degrees."""
        self.check_params(params)
        return camera_to_pose(params[:, :NUM_POSE].reshape(-1, 3, 4))

    def params_from_annotation(self, pose_para: Tensor, shape_para: Tensor,
                               exp_para: Tensor, roi_box: Tensor,
                               img_height: Union[Tensor, float]) -> Tensor:
        """Ground-truth crop params of this model from fits, see
        :func:`fit_to_params`."""
        return fit_to_params(pose_para, shape_para, exp_para, roi_box,
                             img_height, self.n_shape, self.n_exp,
                             self.convention, self.crop_size)
