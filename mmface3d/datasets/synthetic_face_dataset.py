"""Synthetic BFM faces rendered on the fly: the toolbox's built-in data."""
import hashlib
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import scipy.io as sio
import torch

from mmface3d.morphable import MorphableModel, pixel_origin, render
from mmface3d.registry import DATASETS
from mmface3d.utils import resolve_data_path
from .base_face_dataset import BaseFaceDataset, check_choice
from .synthetic import (SPLIT_CODES, SPLITS, SampleCache, close_mouth,
                        draw_face, draw_lighting, draw_occluders,
                        mouth_boundary, random_background)


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
    occluders (rectangles / ellipses) over the face, at ``img_size`` pixels
    (:mod:`mmface3d.datasets.synthetic`). The image is the crop:
    ``roi_box = [0, 0, S, S]``.

    Everything is a function of ``(seed, split, index)`` (a numpy Generator
    per sample), so a sample is identical whenever and wherever it is drawn;
    nothing is rendered at init. With ``cache_dir`` each sample is written
    once as ``.png`` + ``.npz`` and read back afterwards.

    Splits (:data:`SPLITS`):

    - ``'3d'``: ``gt_params_img`` (62,) raw image-frame params with their
      ``params_convention``, ``gt_landmarks_2d`` (68, 2) and
      ``gt_landmarks_3d`` (68, 3) (pipeline fields), the benchmark ground
      truth ``gt_landmarks_img`` (68, 3), ``yaw``, ``landmarks_2d_input``
      (68, 2), ``has_3d=True``; yaw uniform in [-90, 90].
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
        eval_ground_truth (bool): Give the '2d' split the benchmark ground
            truth too (``gt_landmarks_img``, ``yaw``; still no params and
            ``has_3d=False``), to score models on held-out faces of the
            in-the-wild distribution. Defaults to False.
        cache_dir (str, optional): Folder for the per-sample cache. Defaults
            to None (no cache).
        model_path (str): BFM folder (3DDFA layout). Defaults to ``'bfm'``.
        texture_path (str): ``.mat`` file with ``mu_tex`` (3N, 1) RGB 0-255.
            Defaults to ``'bfm/Model_Shape_Sim.mat'``.
        param_stats (str): Whitening pickle whose mean / std shape the
            coefficient distribution. Defaults to
            ``'bfm/param_whitening.pkl'``.
        convention (str): Params convention of ``gt_params_img``. Defaults
            to ``'v1'``.
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
                 eval_ground_truth: bool = False,
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
        if length < 1 or img_size < 16:
            raise ValueError(f'length must be >= 1 and img_size >= 16, got '
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
        self.eval_ground_truth = eval_ground_truth
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
                mouth_boundary(model)).to(self.device)
            self._face_model = model.to(self.device)
        return self._face_model

    @property
    def cache(self) -> Optional[SampleCache]:
        """The sample cache of this split / seed / sampling, or None."""
        if self.cache_dir is None:
            return None
        settings = repr((sorted(self.sampling.items()), self.img_size,
                         self.model_path, self.texture_path,
                         self.param_stats, self.convention,
                         self.eval_ground_truth))
        digest = hashlib.sha1(settings.encode()).hexdigest()[:8]
        return SampleCache(
            Path(self.cache_dir) / f'{self.split}_seed{self.seed}_{digest}',
            self.img_size)

    def get_data_info(self, idx: int) -> dict:
        """Render (or read from the cache) sample ``idx``."""
        info = super().get_data_info(idx)
        index = info['img_id']
        cache = self.cache
        sample = None if cache is None else cache.read(index)
        if sample is None:
            sample = self.render_samples([index])[0]
            if cache is not None:
                cache.write(index, sample)
        info.update(sample)
        info.update(self._names(index))
        return info

    def original_image(self, img_id: int, img_path: str) -> np.ndarray:
        """The rendered image of sample ``img_id`` (rendered again, or read
        from the cache)."""
        return self.get_data_info(img_id)['img']

    def _names(self, index: int) -> dict:
        size = self.img_size
        return dict(
            img_path=f'synthetic://{self.split}/{index:06d}',
            ori_shape=(size, size),
            img_shape=(size, size))

    def rng(self, index: int) -> np.random.Generator:
        """The random generator of sample ``index``."""
        return np.random.default_rng(
            [self.seed, SPLIT_CODES[self.split], int(index)])

    def render_samples(self, indices: Sequence[int]) -> List[dict]:
        """Render samples in one batched call of the renderer.

        Args:
            indices (Sequence[int]): Sample indices.

        Returns:
            list[dict]: Per index, the sample's ``img`` and data fields
            (``roi_box``, landmarks, params, ...), without ``img_id``.
        """
        if not len(indices):
            return []
        draws, scene = self.scene(indices)
        images = render(**scene).image.cpu().numpy()
        params = torch.from_numpy(np.stack([d['params'] for d in draws]))
        landmarks = self.face_model.landmarks(params.to(
            self.device)).transpose(1, 2).cpu().numpy()
        return [
            self._finish(draw, image, points)
            for draw, image, points in zip(draws, images, landmarks)
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
            :func:`~mmface3d.morphable.render` that draw them (vertices
            (B, 3, N + 1) with the mouth cavity, triangles, colours,
            backgrounds, lights, ``pixel_origin``).
        """
        model = self.face_model
        draws = []
        for index in indices:
            rng = self.rng(index)
            draw = draw_face(rng, model, self.sampling, self.img_size)
            draw.update(draw_lighting(rng))
            draw.update(rng=rng,
                        background=random_background(rng, self.img_size))
            draws.append(draw)

        def stacked(key: str) -> torch.Tensor:
            return torch.from_numpy(np.stack([d[key] for d in draws])).to(
                self.device)

        params = stacked('params')
        vertices, tri, colors = close_mouth(
            model.tri, self._mouth_edges, params, model.reconstruct(params),
            self._texture * stacked('albedo')[:, None])
        return draws, dict(
            vertices=vertices,
            tri=tri,
            colors=colors,
            background=stacked('background'),
            light_dir=stacked('light_dir'),
            ambient=stacked('ambient'),
            diffuse=stacked('diffuse'),
            pixel_origin=self.pixel_origin)

    def _finish(self, draw: dict, image: np.ndarray,
                landmarks: np.ndarray) -> dict:
        """Occluders, sensor noise and the annotation fields of a sample."""
        rng, size = draw['rng'], self.img_size
        image = np.ascontiguousarray(image)
        if rng.uniform() < self.sampling['occlusion_prob']:
            draw_occluders(rng, image, landmarks[:, :2] - self.pixel_origin)
        if rng.uniform() < 0.3:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.0))
        noise = rng.normal(0.0, rng.uniform(0.0, 4.0), image.shape)
        image = np.clip(image + noise, 0, 255).round().astype(np.uint8)

        landmarks = landmarks.astype(np.float32)
        noisy = landmarks[:, :2] + rng.normal(
            0.0, self.sampling['landmark_noise'], (68, 2)).astype(np.float32)
        sample = dict(
            img=image,
            roi_box=np.array([0, 0, size, size], dtype=np.float32),
            landmarks_2d_input=noisy,
            has_3d=self.split == '3d',
            has_2d=True,
            params_convention=self.convention)
        if self.split == '3d':
            sample.update(
                gt_params_img=draw['params'],
                gt_landmarks_2d=landmarks[:, :2].copy(),
                gt_landmarks_3d=landmarks.copy())
        if self.split == '3d' or self.eval_ground_truth:
            sample.update(
                gt_landmarks_img=landmarks.copy(),
                yaw=float(draw['pose'][0]))
        return sample
