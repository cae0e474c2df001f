"""Synthetic BFM faces rendered on the fly: the toolbox's built-in data."""
import hashlib
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import scipy.io as sio
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mmface3d.models.morphable import (MorphableModel, pixel_origin,
                                       pose_to_camera)
from mmface3d.registry import DATASETS
from mmface3d.utils import resolve_data_path
from mmface3d.visualization.renderer import render
from .base_face_dataset import BaseFaceDataset, check_choice

# Sampling of each split. Angles in degrees; ``*_scale`` multiply the
# whitening std of the shape / expression coefficients; ``landmark_noise``
# is the std (crop pixels) of the noise on ``landmarks_2d_input``.
SPLITS: Dict[str, dict] = {
    # 300W-LP-like: yaw uniform over the full profile range, GT landmarks.
    '3d':
    dict(
        yaw=('uniform', 90.0),
        pitch_std=10.0,
        pitch_max=30.0,
        roll_std=8.0,
        roll_max=30.0,
        shape_scale=1.0,
        exp_scale=1.0,
        landmark_noise=0.0,
        occlusion_prob=0.2),
    # In-the-wild-like: mostly frontal, stronger expressions and head tilt,
    # detector-like noise on the 2D landmarks, more occlusion.
    '2d':
    dict(
        yaw=('normal', 35.0),
        pitch_std=15.0,
        pitch_max=45.0,
        roll_std=12.0,
        roll_max=45.0,
        shape_scale=1.2,
        exp_scale=1.6,
        landmark_noise=2.0,
        occlusion_prob=0.4),
}
SPLIT_CODES = {'3d': 3, '2d': 2}
# Landmark bbox side / crop side of the benchmark crop rule.
FACE_FILL = 1 / np.sqrt(2)
COEF_CLIP = 3.0
# Mouth cavity: depth behind the lips (BFM units, micrometres) and BGR colour.
MOUTH_DEPTH = 15000.0
MOUTH_COLOR = (35.0, 35.0, 70.0)


@DATASETS.register_module()
class SyntheticFaceDataset(BaseFaceDataset):
    """BFM faces with exact 3DMM ground truth, rendered on the fly.

    Each sample is a random face of the morphable model (3DDFA layout):
    shape and expression coefficients drawn around the whitening mean with
    its std (clipped at 3 std), a head pose, a scale and translation that
    fill the crop as the benchmark crop rule does (landmark bbox about
    ``1/sqrt(2)`` of the crop, jittered), the BFM mean texture with a random
    albedo tint, Lambertian + ambient lighting from a random direction, a
    random background (gradient, smooth noise or patches) and sometimes
    occluders (rectangles / ellipses) over the face, at ``img_size`` pixels.
    The image is the crop: ``roi_box = [0, 0, S, S]`` and the params are in
    that crop frame.

    Everything is a function of ``(seed, split, index)`` (a numpy Generator
    per sample), so a sample is identical whenever and wherever it is drawn;
    nothing is rendered at init. With ``cache_dir`` each sample is written
    once as ``.png`` + ``.npz`` and read back afterwards.

    Splits (:data:`SPLITS`):

    - ``'3d'``: ``gt_params`` (62,) raw, ``gt_landmarks_2d`` (68, 2),
      ``gt_landmarks_3d`` (68, 3), ``yaw``, ``landmarks_2d_input`` (68, 2),
      ``has_3d=True``; yaw uniform in [-90, 90].
    - ``'2d'``: the in-the-wild role, a different pose / expression
      distribution with only noisy ``landmarks_2d_input`` (68, 2) and
      ``has_3d=False``.

    Every sample also has ``img`` (S, S, 3) BGR uint8, ``img_path``
    (``synthetic://<split>/<index>``), ``img_id``, ``ori_shape``,
    ``img_shape``, ``roi_box`` (4,) float32 and ``has_2d=True``. Landmarks
    are in pixels of the ``convention`` (1-based for ``'v1'``: pixel
    ``(r, c)`` is centred on ``(c + 1, r + 1)``).

    Args:
        split (str): ``'3d'`` or ``'2d'``. Defaults to ``'3d'``.
        length (int): Number of samples. Defaults to 10000.
        seed (int): Seed of the whole set. Defaults to 0.
        img_size (int): Side of the square image. Defaults to 120.
        landmark_noise (float, optional): Std (pixels) of the Gaussian noise
            on ``landmarks_2d_input``; None takes the split's (0 for
            ``'3d'``, 2 for ``'2d'``). Defaults to None.
        occlusion_prob (float, optional): Probability of occluders; None
            takes the split's. Defaults to None.
        cache_dir (str, optional): Folder for the per-sample cache. Defaults
            to None (no cache).
        model_path (str): BFM folder (3DDFA layout). Defaults to ``'bfm'``.
        texture_path (str): ``.mat`` file with ``mu_tex`` (3N, 1) RGB 0-255.
            Defaults to ``'bfm/Model_Shape_Sim.mat'``.
        param_stats (str): Whitening pickle whose mean / std shape the
            coefficient distribution. Defaults to
            ``'bfm/param_whitening.pkl'``.
        convention (str): Params convention of ``gt_params``. Defaults to
            ``'v1'``.
        device (str): Device the faces are rendered on. Defaults to
            ``'cpu'``.
        data_root (str, optional): Data root of the BFM files. Defaults to
            None.
        **kwargs: :class:`BaseFaceDataset` arguments (``pipeline``,
            ``test_mode``, ``lazy_init``, ``metainfo``, ...).
    """

    METAINFO: dict = dict(
        dataset_name='synthetic_faces',
        has_3d=True,
        has_2d=True,
        num_landmarks=68)

    def __init__(self,
                 split: str = '3d',
                 length: int = 10000,
                 seed: int = 0,
                 img_size: int = 120,
                 landmark_noise: Optional[float] = None,
                 occlusion_prob: Optional[float] = None,
                 cache_dir: Optional[str] = None,
                 model_path: str = 'bfm',
                 texture_path: str = 'bfm/Model_Shape_Sim.mat',
                 param_stats: str = 'bfm/param_whitening.pkl',
                 convention: str = 'v1',
                 device: str = 'cpu',
                 data_root: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        check_choice('split', split, tuple(SPLITS))
        if length < 0 or img_size < 16:
            raise ValueError(f'length must be >= 0 and img_size >= 16, got '
                             f'{length} and {img_size}')
        self.split = split
        self.length = int(length)
        self.seed = int(seed)
        self.img_size = int(img_size)
        self.sampling = dict(SPLITS[split])
        if landmark_noise is not None:
            self.sampling['landmark_noise'] = float(landmark_noise)
        if occlusion_prob is not None:
            self.sampling['occlusion_prob'] = float(occlusion_prob)
        self.cache_dir = cache_dir
        self.model_path = model_path
        self.texture_path = texture_path
        self.param_stats = param_stats
        self.convention = convention
        self.pixel_origin = pixel_origin(convention)
        self.device = torch.device(device)
        self._face_model: Optional[MorphableModel] = None
        self._texture: Optional[torch.Tensor] = None
        self._mouth_edges: Optional[torch.Tensor] = None
        metainfo = dict(metainfo or {}, has_3d=split == '3d', has_2d=True)
        super().__init__(data_root=data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One small dict per index; the faces are rendered on access."""
        return [dict(img_id=i) for i in range(self.length)]

    @property
    def face_model(self) -> MorphableModel:
        """The morphable model, loaded on first use (not at init, so that
        building the dataset and forking workers stay cheap)."""
        if self._face_model is None:
            root = self.data_root
            model = MorphableModel(
                model_path=self.model_path,
                param_stats=self.param_stats,
                convention=self.convention,
                crop_size=self.img_size,
                data_root=root)
            path = resolve_data_path(self.texture_path, root)
            mat = sio.loadmat(str(path))
            tex = np.asarray(mat.get('mu_tex', np.zeros(0)), np.float32)
            if tex.size != 3 * model.num_vertices:
                raise ValueError(
                    f'{path}: `mu_tex` has {tex.size} values, expected '
                    f'({3 * model.num_vertices}, 1) RGB interleaved 0-255')
            # RGB interleaved -> (N, 3) BGR, the toolbox's channel order.
            self._texture = torch.from_numpy(
                tex.reshape(-1, 3)[:, ::-1].copy()).to(self.device)
            self._mouth_edges = torch.from_numpy(
                _mouth_boundary(model)).to(self.device)
            self._face_model = model.to(self.device)
        return self._face_model

    def _close_mouth(
        self, params: torch.Tensor, vertices: torch.Tensor,
        colors: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Close the mesh's mouth opening with a dark cone.

        The BFM surface is open between the lips; a fan of triangles from the
        opening's rim to a point behind it (``MOUTH_DEPTH`` model units along
        the face's backward axis) stands in for the mouth cavity.

        Args:
            params (Tensor): (B, 62) raw params.
            vertices (Tensor): (B, 3, N) crop-frame vertices.
            colors (Tensor): (B, N, 3) vertex colours.

        Returns:
            tuple[Tensor, Tensor, Tensor]: vertices (B, 3, N + 1), triangles
            (M + R, 3) and colours (B, N + 1, 3).
        """
        model, edges = self.face_model, self._mouth_edges
        rim = vertices[:, :, edges[:, 0]].mean(2)
        backward = -MOUTH_DEPTH * params[:, [2, 6, 10]]  # f R (0, 0, -d)
        backward[:, 1] = -backward[:, 1]  # the image-row flip
        tip = len(colors[0])
        fan = torch.cat([edges.new_full((len(edges), 1), tip), edges], 1)
        cavity = colors.new_tensor(MOUTH_COLOR).expand(len(colors), 1, 3)
        return (torch.cat([vertices, (rim + backward)[..., None]], 2),
                torch.cat([model.tri, fan]), torch.cat([colors, cavity], 1))

    @property
    def cache_folder(self) -> Optional[Path]:
        """Cache folder of this split / seed / sampling, or None."""
        if self.cache_dir is None:
            return None
        settings = repr((sorted(self.sampling.items()), self.img_size,
                         self.model_path, self.texture_path,
                         self.param_stats, self.convention))
        digest = hashlib.sha1(settings.encode()).hexdigest()[:8]
        return Path(self.cache_dir) / \
            f'{self.split}_seed{self.seed}_{digest}'

    def get_data_info(self, idx: int) -> dict:
        """Render (or read from the cache) sample ``idx``."""
        info = super().get_data_info(idx)
        index = info['img_id']
        folder = self.cache_folder
        if folder is not None:
            cached = self._read_cache(folder, index)
            if cached is not None:
                info.update(cached)
                return info
        sample = self.render_samples([index])[0]
        if folder is not None:
            self._write_cache(folder, index, sample)
        info.update(sample)
        return info

    def rng(self, index: int) -> np.random.Generator:
        """The random generator of sample ``index``."""
        return np.random.default_rng(
            [self.seed, SPLIT_CODES[self.split], int(index)])

    def render_samples(self, indices: Sequence[int]) -> List[dict]:
        """Render samples in one batched call of the renderer.

        Args:
            indices (Sequence[int]): Sample indices.

        Returns:
            list[dict]: Per index, the sample's data fields (``img``,
            ``roi_box``, landmarks, params, ...), without ``img_id``.
        """
        if not len(indices):
            return []
        draws, scene = self.scene(indices)
        images = render(**scene).image.cpu().numpy()
        params = torch.from_numpy(np.stack([d['params'] for d in draws]))
        landmarks = self.face_model.landmarks(params.to(
            self.device)).transpose(1, 2).cpu().numpy()
        return [
            self._finish(index, draw, image, points)
            for index, draw, image, points in zip(indices, draws, images,
                                                  landmarks)
        ]

    def scene(self, indices: Sequence[int]) -> Tuple[List[dict], dict]:
        """The random draws of samples and the batched renderer input.

        Args:
            indices (Sequence[int]): Sample indices.

        Returns:
            tuple[list[dict], dict]: Per index the random choices (``params``
            (62,), ``pose`` (3,) [yaw, pitch, roll], lighting, background,
            and the sample's generator ``rng``, which has not yet drawn the
            post-render choices), and the keyword arguments of
            :func:`~mmface3d.visualization.renderer.render` that draw them
            (vertices (B, 3, N + 1) with the mouth cavity, triangles,
            colours, backgrounds, lights, ``pixel_origin``).
        """
        model = self.face_model
        draws = [self._draw(self.rng(i)) for i in indices]

        def stacked(key: str) -> torch.Tensor:
            return torch.from_numpy(np.stack([d[key] for d in draws])).to(
                self.device)

        params = stacked('params')
        colors = self._texture * stacked('albedo')[:, None]
        vertices, tri, colors = self._close_mouth(params,
                                                  model.reconstruct(params),
                                                  colors)
        return draws, dict(
            vertices=vertices,
            tri=tri,
            colors=colors,
            background=stacked('background'),
            light_dir=stacked('light_dir'),
            ambient=stacked('ambient'),
            diffuse=stacked('diffuse'),
            pixel_origin=self.pixel_origin)

    def _draw(self, rng: np.random.Generator) -> dict:
        """All random choices of one sample before rendering."""
        cfg, model, size = self.sampling, self.face_model, self.img_size
        kind, spread = cfg['yaw']
        yaw = rng.uniform(-spread, spread) if kind == 'uniform' else \
            rng.normal(0.0, spread)
        pose = np.array([
            np.clip(yaw, -90.0, 90.0),
            np.clip(rng.normal(0.0, cfg['pitch_std']), -cfg['pitch_max'],
                    cfg['pitch_max']),
            np.clip(rng.normal(0.0, cfg['roll_std']), -cfg['roll_max'],
                    cfg['roll_max'])
        ])
        mean = model.param_mean.cpu().numpy().astype(np.float64)
        std = model.param_std.cpu().numpy().astype(np.float64)
        n_shape = model.n_shape
        scale = np.r_[np.full(n_shape, cfg['shape_scale']),
                      np.full(model.n_exp, cfg['exp_scale'])]
        coef = mean[12:] + std[12:] * scale * np.clip(
            rng.standard_normal(mean.size - 12), -COEF_CLIP, COEF_CLIP)

        # Scale and translation from the rotated landmarks: their bbox is
        # FACE_FILL of the crop (jittered), centred (jittered).
        rotation = pose_to_camera(
            torch.from_numpy(pose)[None], torch.ones(1, dtype=torch.float64),
            torch.zeros(1, 3, dtype=torch.float64))[0, :, :3].numpy()
        shape = (model.u_kp.cpu().double().numpy() +
                 model.w_kp.cpu().double().numpy() @ coef).reshape(-1, 3).T
        points = rotation @ shape
        lo, hi = points[:2].min(1), points[:2].max(1)
        focal = size * FACE_FILL * rng.uniform(0.9, 1.1) / (hi - lo).max()
        center = size / 2 + rng.uniform(-0.05, 0.05, 2) * size
        # crop x = f X + tx + dx, crop y = fy - (f Y + ty) (the flip).
        translation = np.array([
            center[0] - model.flip_x - focal * (lo[0] + hi[0]) / 2,
            model.flip_y - center[1] - focal * (lo[1] + hi[1]) / 2,
            mean[11] + std[11] * rng.standard_normal()
        ])
        camera = np.concatenate([focal * rotation, translation[:, None]], 1)
        params = np.concatenate([camera.reshape(-1), coef]).astype(np.float32)

        light = np.deg2rad([rng.uniform(-70, 70), rng.uniform(-40, 60)])
        return dict(
            rng=rng,
            pose=pose,
            params=params,
            albedo=(rng.uniform(0.55, 1.15) *
                    np.clip(rng.normal(1.0, 0.06, 3), 0.8, 1.2)).astype(
                        np.float32),
            light_dir=np.array([
                np.sin(light[0]) * np.cos(light[1]), -np.sin(light[1]),
                np.cos(light[0]) * np.cos(light[1])
            ],
                               dtype=np.float32),
            ambient=(rng.uniform(0.25, 0.6) *
                     np.clip(rng.normal(1.0, 0.05, 3), 0.85, 1.15)).astype(
                         np.float32),
            diffuse=np.full(3, rng.uniform(0.3, 0.8), dtype=np.float32),
            background=_random_background(rng, size))

    def _finish(self, index: int, draw: dict, image: np.ndarray,
                landmarks: np.ndarray) -> dict:
        """Occluders, sensor noise and the annotation fields of a sample."""
        rng, size = draw['rng'], self.img_size
        image = np.ascontiguousarray(image)
        if rng.uniform() < self.sampling['occlusion_prob']:
            _draw_occluders(rng, image, landmarks[:, :2] - self.pixel_origin)
        if rng.uniform() < 0.3:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.0))
        noise = rng.normal(0.0, rng.uniform(0.0, 4.0), image.shape)
        image = np.clip(image + noise, 0, 255).round().astype(np.uint8)

        landmarks = landmarks.astype(np.float32)
        noisy = landmarks[:, :2] + rng.normal(
            0.0, self.sampling['landmark_noise'], (68, 2)).astype(np.float32)
        sample = dict(
            img=image,
            img_path=f'synthetic://{self.split}/{index:06d}',
            ori_shape=(size, size),
            img_shape=(size, size),
            roi_box=np.array([0, 0, size, size], dtype=np.float32),
            landmarks_2d_input=noisy,
            has_3d=self.split == '3d',
            has_2d=True)
        if self.split == '3d':
            sample.update(
                gt_params=draw['params'],
                gt_landmarks_2d=landmarks[:, :2].copy(),
                gt_landmarks_3d=landmarks,
                yaw=float(draw['pose'][0]))
        return sample

    def _read_cache(self, folder: Path, index: int) -> Optional[dict]:
        stem = folder / f'{index:06d}'
        png, npz = stem.with_suffix('.png'), stem.with_suffix('.npz')
        if not (png.is_file() and npz.is_file()):
            return None
        image = cv2.imread(str(png), cv2.IMREAD_COLOR)
        if image is None or image.shape != (self.img_size, self.img_size, 3):
            return None
        with np.load(npz) as data:
            sample = {key: data[key] for key in data.files}
        size = self.img_size
        for key in ('has_3d', 'has_2d'):
            sample[key] = bool(sample[key])
        if 'yaw' in sample:
            sample['yaw'] = float(sample['yaw'])
        sample.update(
            img=image,
            img_path=f'synthetic://{self.split}/{index:06d}',
            ori_shape=(size, size),
            img_shape=(size, size))
        return sample

    @staticmethod
    def _write_cache(folder: Path, index: int, sample: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f'{index:06d}'
        arrays = {
            key: np.asarray(value)
            for key, value in sample.items()
            if key not in ('img', 'img_path', 'ori_shape', 'img_shape')
        }
        # Write under temporary names, then rename: dataloader workers may
        # read the same index concurrently.
        tmp = f'.tmp{os.getpid()}'
        png_tmp = stem.with_name(f'{stem.name}{tmp}.png')
        npz_tmp = stem.with_name(f'{stem.name}{tmp}.npz')
        if not cv2.imwrite(str(png_tmp), sample['img']):
            raise OSError(f'could not write the cache image {png_tmp}')
        np.savez(npz_tmp, **arrays)
        os.replace(npz_tmp, stem.with_suffix('.npz'))
        os.replace(png_tmp, stem.with_suffix('.png'))


def _mouth_boundary(model: MorphableModel) -> np.ndarray:
    """(R, 2) boundary edges of the mesh's mouth opening.

    Boundary edges belong to one triangle only; they form the outer rim of
    the mesh and the mouth opening. The mouth is the boundary loop whose
    centre lies nearest to the inner-lip landmarks (60-67) of the mean face.
    """
    tri = model.tri.cpu().numpy()
    edges = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    _, first, counts = np.unique(
        np.sort(edges, 1), axis=0, return_index=True, return_counts=True)
    boundary = edges[first[counts == 1]]
    num = model.num_vertices
    graph = coo_matrix((np.ones(len(boundary)), tuple(boundary.T)),
                       shape=(num, num))
    _, labels = connected_components(graph, directed=False)
    mean = model.u.cpu().numpy().reshape(-1, 3)
    lips = mean[model.keypoints[60:68].cpu().numpy()].mean(0)
    loops = np.unique(labels[boundary[:, 0]])
    centres = np.stack(
        [mean[boundary[labels[boundary[:, 0]] == k, 0]].mean(0)
         for k in loops])
    mouth = loops[np.linalg.norm(centres - lips, axis=1).argmin()]
    return boundary[labels[boundary[:, 0]] == mouth]


def _random_colors(rng: np.random.Generator, num: int) -> np.ndarray:
    return rng.uniform(0, 255, (num, 3))


def _random_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) uint8: a gradient, smooth noise or random patches,
    plus fine noise."""
    kind = rng.integers(3)
    if kind == 0:
        first, second = _random_colors(rng, 2)
        angle = rng.uniform(0, 2 * np.pi)
        ys, xs = np.mgrid[0:size, 0:size] / (size - 1)
        ramp = xs * np.cos(angle) + ys * np.sin(angle)
        ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
        image = first + ramp[..., None] * (second - first)
    elif kind == 1:
        cells = int(rng.integers(2, 9))
        coarse = rng.uniform(0, 255, (cells, cells, 3)).astype(np.float32)
        image = cv2.resize(
            coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    else:
        image = np.empty((size, size, 3))
        image[:] = _random_colors(rng, 1)[0]
        for _ in range(int(rng.integers(3, 13))):
            _random_shape(rng, image, rng.uniform(0, size, 2),
                          rng.uniform(0.05, 0.5) * size)
    image = image + rng.normal(0.0, rng.uniform(0.0, 8.0), image.shape)
    return np.clip(image, 0, 255).round().astype(np.uint8)


def _random_shape(rng: np.random.Generator, image: np.ndarray,
                  center: np.ndarray, extent: float) -> None:
    """Draw a filled rectangle or ellipse of a random colour in place."""
    color = tuple(float(c) for c in _random_colors(rng, 1)[0])
    half = np.maximum(rng.uniform(0.3, 1.0, 2) * extent / 2, 1.0)
    if rng.uniform() < 0.5:
        start = tuple(int(v) for v in np.round(center - half))
        end = tuple(int(v) for v in np.round(center + half))
        cv2.rectangle(image, start, end, color, thickness=-1)
    else:
        cv2.ellipse(image, tuple(int(v) for v in np.round(center)),
                    tuple(int(v) for v in np.round(half)),
                    rng.uniform(0, 180), 0, 360, color, thickness=-1)


def _draw_occluders(rng: np.random.Generator, image: np.ndarray,
                    landmarks: np.ndarray) -> None:
    """One or two shapes centred on random landmarks, in place.

    Args:
        rng (np.random.Generator): The sample's generator.
        image (np.ndarray): (S, S, 3) uint8 image.
        landmarks (np.ndarray): (68, 2) landmarks in 0-based pixels.
    """
    side = float((landmarks.max(0) - landmarks.min(0)).max())
    for _ in range(int(rng.integers(1, 3))):
        center = landmarks[rng.integers(len(landmarks))]
        _random_shape(rng, image, center, rng.uniform(0.25, 0.6) * side)
