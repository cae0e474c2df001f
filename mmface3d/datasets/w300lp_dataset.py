"""300W-LP, the 3DMM-fitted training set of 3DDFA and 2DASL."""
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
import torch

from mmface3d.morphable import (check_convention, fit_to_params,
                                roi_boxes_from_landmarks)
from mmface3d.registry import DATASETS
from .base_face_dataset import BaseFaceDataset, check_choice, shape_matches

# key -> (dtype kind, shape after N); the cache written by
# tools/dataset_converters/prepare_300wlp.py.
CACHE_KEYS = {
    'names': ('U', ()),
    'img_size': ('i', (2, )),
    'pose_para': ('f', (7, )),
    'shape_para': ('f', (None, )),
    'exp_para': ('f', (None, )),
    'pts_2d': ('f', (68, 2)),
    'pts_3d': ('f', (68, 2)),
    'landmark_file': ('b', ()),
}
LANDMARK_KEYS = ('pts_2d', 'pts_3d')


@DATASETS.register_module()
class W300LPDataset(BaseFaceDataset):
    """300W-LP: 122,450 face images (61,225 and their mirror images) with
    3DMM fits and 68 landmarks.

    Reads the annotation cache that
    ``tools/dataset_converters/prepare_300wlp.py`` builds in one pass over
    the ``.mat`` files, so no ``.mat`` file is parsed at training time. The
    crop box of each sample is the benchmark rule on its ``landmarks``
    (REFERENCE.md section 3) and ``gt_params_img`` are the fit in the image
    frame (:func:`~mmface3d.morphable.fit_to_params`), from which
    ``FaceCrop`` derives the crop's ``gt_params``; random box jitter belongs
    to the pipeline.

    Each sample holds ``img_path``, ``img_id`` (row in the cache),
    ``roi_box`` (4,) float32, ``gt_params_img`` (P,) float32 with its
    ``params_convention``,
    ``gt_landmarks_2d`` (68, 2) float32 image pixels, ``yaw`` (deg, of the
    fit), ``has_3d=True``, ``has_2d`` and, with ``input_landmarks``,
    ``landmarks_2d_input`` (68, 2).

    Args:
        ann_file (str): The cache. Defaults to
            ``'300W_LP/300wlp_annotations.npz'``.
        data_root (str, optional): Data root. Defaults to None.
        data_prefix (dict): The ``300W_LP`` folder; cache names are relative
            to it. Defaults to ``dict(img_path='300W_LP')``.
        subsets (Sequence[str], optional): Sub-folders to keep (``'AFW'``,
            ``'HELEN_Flip'``, ...); None keeps all. Defaults to None.
        landmarks (str): ``'pts_3d'`` (landmarks of the 3D face, the
            AFLW2000-3D ``pt3d_68`` convention) or ``'pts_2d'`` (visible
            contour): ``gt_landmarks_2d`` and the crop box. Defaults to
            ``'pts_3d'``.
        input_landmarks (str, optional): ``'pts_2d'`` or ``'pts_3d'``:
            ``landmarks_2d_input`` for the facial landmark map and the 2D
            consistency loss; None leaves them out. Defaults to ``'pts_2d'``.
        convention (str): Params convention, ``'v1'`` or ``'v2'``.
            Defaults to ``'v1'``.
        crop_size (int): Crop side of the params convention (the network's
            input). Defaults to 120.
        n_shape (int): Shape coefficients kept (at most the cache's 40).
            Defaults to 40.
        n_exp (int): Expression coefficients kept (at most 10). Defaults
            to 10.
        **kwargs: :class:`BaseFaceDataset` arguments.
    """

    METAINFO: dict = dict(
        dataset_name='300w_lp', has_3d=True, has_2d=False, num_landmarks=68)

    def __init__(self,
                 ann_file: str = '300W_LP/300wlp_annotations.npz',
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path='300W_LP'),
                 subsets: Optional[Sequence[str]] = None,
                 landmarks: str = 'pts_3d',
                 input_landmarks: Optional[str] = 'pts_2d',
                 convention: str = 'v1',
                 crop_size: int = 120,
                 n_shape: int = 40,
                 n_exp: int = 10,
                 **kwargs) -> None:
        check_choice('landmarks', landmarks, LANDMARK_KEYS)
        check_choice('input_landmarks', input_landmarks,
                     (None, ) + LANDMARK_KEYS)
        check_convention(convention)
        self.subsets = None if subsets is None else tuple(subsets)
        self.landmarks = landmarks
        self.convention = convention
        self.crop_size = crop_size
        self.n_shape = n_shape
        self.n_exp = n_exp
        super().__init__(ann_file, data_root, data_prefix, input_landmarks,
                         **kwargs)

    def _load_cache(self) -> dict:
        path = Path(self.ann_file)
        if not path.is_file():
            raise FileNotFoundError(
                f'300W-LP: {path} does not exist; build it from the 300W-LP '
                'release with `python tools/dataset_converters/'
                'prepare_300wlp.py` (docs/datasets.md). Without 300W-LP, '
                'train configs/2dasl/2dasl_mbv1-0.5_quickstart_synthetic-'
                '120x120.py (synthetic faces) or the AFLW in-the-wild '
                'configs/2dasl/*_aflw-itw-* (docs/model_zoo.md)')
        with np.load(path) as data:
            cache = {k: data[k] for k in data.files}
        num = None
        for key, (kind, tail) in CACHE_KEYS.items():
            if key not in cache:
                raise ValueError(f'{path}: key `{key}` is missing; rebuild '
                                 'the cache with prepare_300wlp.py')
            value = cache[key]
            num = len(value) if num is None else num
            if not shape_matches(value.shape, num, tail) or \
                    value.dtype.kind != kind:
                raise ValueError(
                    f'{path}: `{key}` has shape {value.shape} and dtype '
                    f'{value.dtype}, expected ({num}, '
                    f'{", ".join("K" if t is None else str(t) for t in tail)})'
                    f' of kind {kind!r}')
        for key, count in (('shape_para', self.n_shape), ('exp_para',
                                                          self.n_exp)):
            if cache[key].shape[1] < count:
                raise ValueError(f'{path}: `{key}` holds '
                                 f'{cache[key].shape[1]} coefficients, '
                                 f'{count} requested')
        return cache

    def load_data_list(self) -> List[dict]:
        """Read the cache and convert the fits into image-frame params."""
        cache = self._load_cache()
        names = cache['names']
        rows = np.arange(len(names))
        if self.subsets is not None:
            subset = np.array([n.split('/', 1)[0] for n in names])
            rows = rows[np.isin(subset, self.subsets)]
        sizes = cache['img_size'][rows]
        landmarks = cache[self.landmarks][rows].astype(np.float32)
        boxes = roi_boxes_from_landmarks(
            landmarks, np.ones(landmarks.shape[:2], dtype=bool), sizes)
        pose = torch.from_numpy(cache['pose_para'][rows].astype(np.float64))
        params = fit_to_params(
            pose,
            torch.from_numpy(cache['shape_para'][rows].astype(np.float64)),
            torch.from_numpy(cache['exp_para'][rows].astype(np.float64)),
            torch.from_numpy(sizes[:, 1].astype(np.float64)),
            n_shape=self.n_shape,
            n_exp=self.n_exp,
            convention=self.convention,
            crop_size=self.crop_size).numpy().astype(np.float32)
        yaws = np.degrees(cache['pose_para'][:, 1])
        inputs = None if self.input_landmarks is None else \
            cache[self.input_landmarks].astype(np.float32, copy=False)
        has_input = np.full(len(names), inputs is not None)
        return [
            self.make_data_info(
                names,
                i,
                boxes[k],
                inputs,
                has_input,
                gt_params_img=params[k],
                params_convention=self.convention,
                gt_landmarks_2d=landmarks[k],
                yaw=float(yaws[i]),
                has_3d=True) for k, i in enumerate(rows)
        ]
