"""Shared machinery of the AFLW2000-3D metrics: per-sample checks, the image
subsets, the yaw-bucket report and, for the mesh metrics, predicted and
ground-truth meshes in the original image."""
import inspect
from abc import abstractmethod
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from torch import Tensor

from mmface3d.morphable import (MorphableModel, convert_convention,
                                get_face_mirror, get_morphable_model,
                                unmirror_image_params)
from mmface3d.structures import AFLW2000_NUM_IMAGES, aflw2000_subset_ids
from ..functional import (describe_excluded, describe_sample, excluded_result,
                          format_nme_table, sample_array, sample_field,
                          select_aflw2000_subset, split_excluded,
                          summarize_by_yaw, yaw_bucket_index)
from ..functional.sample_fields import Sample

# Keys of the morphable-model config that fix its vertices and params.
MESH_KEYS = ('model_path', 'layout', 'n_shape', 'n_exp', 'convention',
             'crop_size')


class BaseAFLW2000Metric(BaseMetric):
    """Base of the AFLW2000-3D metrics (REFERENCE.md section 6).

    Ground truth travels in the data samples (``gt_landmarks_img`` in
    original-image pixels, ``yaw``), as the dataset attached it.
    ``process`` refuses an ``img_id`` outside [0, 2000) and NaN / inf
    predictions, naming the sample. ``compute_metrics`` refuses images
    evaluated twice and, unless ``allow_partial``, a set that misses images
    of the subset. Samples their dataset excluded (an unusable image or box
    under ``invalid_samples='exclude'``) count as evaluated but are not
    scored; the table names them and why. NMEs are reported in percent per
    yaw bucket (abs yaw in [0, 30], (30, 60], above 60), with the mean and
    std of the three bucket means and the all-image mean, and logged as a
    table in the layout of the 2DASL paper's Table 1.

    Args:
        subset (str): ``'2000'`` or ``'1998'`` (without ids 1081 and 1798,
            the two images FAN fails on); samples of left-out images are
            ignored. Defaults to ``'2000'``.
        allow_partial (bool): Evaluate whatever subset of images was
            processed (logging how many), instead of raising. Defaults to
            False.
        collect_device (str): Device for collecting results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix; None gives
            ``'aflw2000'`` or ``'aflw1998'`` after ``subset``. Defaults to
            None.
        collect_dir (str, optional): Directory for collecting results.
            Defaults to None.
    """

    def __init__(self,
                 subset: str = '2000',
                 allow_partial: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        self.subset = str(subset)
        self.num_expected = len(aflw2000_subset_ids(self.subset))
        super().__init__(
            collect_device=collect_device,
            prefix=prefix or f'aflw{self.subset}',
            collect_dir=collect_dir)
        self.allow_partial = allow_partial

    def process(self, data_batch, data_samples: Sequence[Sample]) -> None:
        """Keep what :meth:`process_sample` takes of each sample, or the
        record of an excluded one."""
        for sample in data_samples:
            self.results.append(
                excluded_result(sample) or self.process_sample(sample))

    @abstractmethod
    def process_sample(self, sample: Sample) -> dict:
        """The small dict of one scored sample that ``compute_metrics``
        reads."""

    def _sample_gt(self, sample: Sample, dims: Sequence[int]) -> dict:
        """``img_id``, ``yaw`` and the (68, D) ``gt_landmarks_img`` of one
        sample, checked; ``dims`` are the widths D accepted."""
        img_id = int(sample_field(sample, 'img_id'))
        if not 0 <= img_id < AFLW2000_NUM_IMAGES:
            raise ValueError(
                f'data sample ({describe_sample(sample)}): img_id {img_id} '
                f'is outside [0, {AFLW2000_NUM_IMAGES}), not an index into '
                'AFLW2000-3D.list')
        gt = sample_array(sample, 'gt_landmarks_img', (68, None),
                          np.float64)
        if gt.shape[1] not in dims:
            raise ValueError(
                f'`gt_landmarks_img` of data sample '
                f'({describe_sample(sample)}) has shape {gt.shape}, expected '
                f'(68, {" or ".join(map(str, dims))}) for '
                f'{type(self).__name__}')
        return dict(
            img_id=img_id,
            yaw=float(sample_field(sample, 'yaw')),
            gt_landmarks=gt)

    def _select(self, results: List[dict]) -> List[dict]:
        """The scored results of the subset, ordered by image id; the
        excluded ones of the subset go to ``self.excluded``."""
        ids = np.array([r['img_id'] for r in results], dtype=np.int64)
        rows = select_aflw2000_subset(ids, self.subset, self.allow_partial)
        kept, self.excluded = split_excluded([results[i] for i in rows])
        if not kept:
            raise ValueError(f'AFLW{self.subset}: every evaluated image was '
                             f'excluded{describe_excluded(self.excluded)}')
        return kept

    def _report(self, nmes: Dict[str, np.ndarray], rows: List[dict],
                title: str) -> Dict[str, float]:
        """Summarise per-image NMEs (fractions) by yaw bucket, in percent.

        Args:
            nmes (dict[str, np.ndarray]): Protocol name -> (N,) NME.
            rows (list[dict]): The N results, with ``yaw``.
            title (str): What is measured, for the logged table.

        Returns:
            dict[str, float]: ``'{name}_{key}'`` for ``key`` in
            ``0-30, 30-60, 60-90, mean3, std3, all``.
        """
        yaw = np.array([r['yaw'] for r in rows])
        summaries = {
            name: {k: 100.0 * v
                   for k, v in summarize_by_yaw(nme, yaw).items()}
            for name, nme in nmes.items()
        }
        header = (f'{title} on AFLW{self.subset}: {len(rows)} of '
                  f'{self.num_expected} images'
                  f'{describe_excluded(self.excluded)}')
        counts = np.bincount(yaw_bucket_index(yaw), minlength=3)
        print_log(
            '\n' + format_nme_table(header, summaries, counts),
            logger='current')
        return {
            f'{name}_{key}': value
            for name, summary in summaries.items()
            for key, value in summary.items()
        }


class BaseAFLW2000MeshMetric(BaseAFLW2000Metric):
    """Base of the AFLW2000-3D metrics on whole meshes.

    Both meshes are built in the original image with one morphable model,
    the one that predicted (the samples' metainfo ``pred_morphable_model``,
    or ``morphable_model`` when given, which must then agree with it):

    - the prediction from ``pred_params`` through the sample's
      ``crop_affine`` (:meth:`MorphableModel.image_params`); a face
      predicted on a mirrored crop is un-mirrored with
      :class:`~mmface3d.morphable.FaceMirror` (pose exact, shape re-fitted);
    - the ground truth from ``gt_params_img``, the annotation's fit
      truncated to the model's components (the full 199 + 29 BFM is not
      available), moved into the model's params convention.

    Meshes are rebuilt in chunks inside ``compute_metrics``; samples carry
    only their params.

    Per-sample keys read: ``img_id``, ``yaw``, ``gt_landmarks_img`` (68, 3)
    (the original annotation: its bbox normalises), ``gt_params_img`` (P,)
    with metainfo ``params_convention``, ``pred_params`` (P,),
    ``crop_affine`` (2, 3) and ``pred_morphable_model``.

    Args:
        morphable_model (dict, optional): Config of the morphable model of
            the predictions; None takes it from the samples. Defaults to
            None.
        symlist (str): BFM ``model_info.mat`` for un-mirroring predictions
            on mirrored crops. Defaults to ``'bfm/model_info.mat'``.
        data_root (str, optional): Data root of the BFM files. Defaults to
            None.
        chunk_size (int): Meshes rebuilt at once. Defaults to 50.
        **kwargs: :class:`BaseAFLW2000Metric` arguments.
    """

    def __init__(self,
                 morphable_model: Optional[dict] = None,
                 symlist: str = 'bfm/model_info.mat',
                 data_root: Optional[str] = None,
                 chunk_size: int = 50,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.morphable_model = None if morphable_model is None else dict(
            morphable_model)
        self.symlist = symlist
        self.data_root = data_root
        self.chunk_size = chunk_size
        # None: whole meshes; see _keep_vertices.
        self.step: Optional[int] = None

    def process_sample(self, sample: Sample) -> dict:
        """The ground truth, the predicted params, the crop map and the
        predicting model of one sample."""
        result = self._sample_gt(sample, (3, ))
        model_cfg = sample_field(sample, 'pred_morphable_model')
        num_params = 12 + model_cfg['n_shape'] + model_cfg['n_exp']
        result.update(
            pred_params=sample_array(sample, 'pred_params', (num_params, )),
            crop_affine=sample_array(sample, 'crop_affine', (2, 3)),
            gt_params=sample_array(sample, 'gt_params_img', (None, )),
            gt_convention=str(sample_field(sample, 'params_convention')),
            model_cfg={k: model_cfg[k] for k in MESH_KEYS})
        return result

    def _keep_vertices(self, step: int) -> None:
        """Score only every ``step``-th vertex of the mesh: :meth:`_meshes`
        then builds those vertices' rows of the basis only.

        Args:
            step (int): Keep vertices ``0, step, 2 step, ...``.
        """
        if not isinstance(step, int) or step < 1:
            raise ValueError(f'step must be an int >= 1, got {step!r}')
        self.step = step

    @staticmethod
    def gt_tag(rows: List[dict]) -> str:
        """``'gt40+10'``: the components of the ground-truth meshes."""
        cfg = rows[0]['model_cfg']
        return f'gt{cfg["n_shape"]}+{cfg["n_exp"]}'

    def _model(self, rows: List[dict]) -> MorphableModel:
        """The one morphable model of all predictions."""
        cfgs = {repr(sorted(r['model_cfg'].items())): r['model_cfg']
                for r in rows}
        if len(cfgs) > 1:
            raise ValueError(f'{type(self).__name__}: the predictions come '
                             f'from different morphable models: '
                             f'{list(cfgs.values())}')
        cfg = next(iter(cfgs.values()))
        if self.morphable_model is not None:
            # keys left out of the config mean MorphableModel's defaults
            # (dict(type='MorphableModel') is the v1 model)
            args = inspect.signature(MorphableModel).bind_partial(**{
                k: v
                for k, v in self.morphable_model.items() if k != 'type'
            })
            args.apply_defaults()
            wanted = {k: args.arguments[k] for k in MESH_KEYS}
            if any(wanted[k] != cfg[k] for k in MESH_KEYS):
                raise ValueError(
                    f'{type(self).__name__}: morphable_model {wanted} does '
                    f'not match the predictions\' model {cfg}; their params '
                    'can only be decoded with the model that predicted them')
        return get_morphable_model(cfg, self.data_root)

    def _image_params(self, model: MorphableModel, params: Tensor,
                      crop_affine: Tensor) -> Tensor:
        """(B, P) image-frame params of predictions, un-mirrored where the
        crop was mirrored."""
        image, mirrored = model.image_params(params, crop_affine)
        if mirrored.any():
            vertex_ids = 'bfm/indices.npy' if model.layout == '3ddfa_v2' \
                else None
            mirror = get_face_mirror(model.mesh_cfg, self.symlist,
                                     vertex_ids, self.data_root)
            image[mirrored] = unmirror_image_params(
                mirror, params[mirrored], crop_affine[mirrored],
                model.convention, model.crop_size).to(image)
        return image

    def _meshes(self, rows: List[dict]
                ) -> Iterator[Tuple[slice, np.ndarray, np.ndarray]]:
        """Predicted and ground-truth image-frame meshes, chunk by chunk.

        Yields:
            tuple: the chunk's slice of ``rows``, the predicted and the
            ground-truth meshes (b, N, 3) float32, N the vertices kept.
        """
        model = self._model(rows)
        vertex_ids = None if self.step is None else torch.arange(
            0, model.num_vertices, self.step)
        pred = self._image_params(
            model, torch.from_numpy(np.stack([r['pred_params']
                                              for r in rows])),
            torch.from_numpy(np.stack([r['crop_affine'] for r in rows])))
        gt = []
        for r in rows:
            params = torch.from_numpy(r['gt_params'])[None]
            if params.shape[1] != model.num_params:
                raise ValueError(
                    f'gt_params_img of img_id {r["img_id"]} has '
                    f'{params.shape[1]} values, the morphable model '
                    f'{model.num_params}: build the dataset with the '
                    "model's n_shape / n_exp")
            gt.append(
                convert_convention(params, r['gt_convention'],
                                   model.convention, model.crop_size))
        gt = torch.cat(gt)
        for start in range(0, len(rows), self.chunk_size):
            part = slice(start, start + self.chunk_size)
            meshes = [
                model.normalize_image_depth(
                    model.reconstruct(params[part],
                                      vertex_ids)).transpose(1, 2).numpy()
                for params in (pred, gt)
            ]
            yield part, meshes[0], meshes[1]
