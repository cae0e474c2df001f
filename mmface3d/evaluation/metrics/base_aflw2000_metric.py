"""Shared machinery of the AFLW2000-3D metrics: the benchmark's annotation
files, per-sample checks, the image subsets, the yaw-bucket report and, for
the mesh metrics, ground-truth meshes rebuilt from the ``.mat`` fits."""
import copy
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from torch import Tensor, nn

from mmface3d.registry import MODELS
from ..functional import (AFLW2000_NUM_IMAGES, aflw2000_subset_ids,
                          describe_sample, format_nme_table,
                          load_aflw2000_annotations,
                          load_aflw2000_gt_params, load_aflw2000_roi_boxes,
                          sample_array, sample_field, select_aflw2000_subset,
                          summarize_by_yaw, yaw_bucket_index)
from ..functional.aflw2000 import AFLW2000_ROI_BOX_FILE
from ..functional.sample_fields import Sample

PathLike = Union[str, Path]


class BaseAFLW2000Metric(BaseMetric):
    """Base of the AFLW2000-3D metrics (REFERENCE.md section 6).

    Ground truth comes from the benchmark files, looked up by each sample's
    ``img_id`` (0-based line of ``AFLW2000-3D.list``). ``process`` refuses
    an ``img_id`` outside [0, 2000), an ``img_path`` that is not the list's
    entry for that id, and NaN / inf predictions, naming the sample.
    ``compute_metrics`` refuses images evaluated twice and, unless
    ``allow_partial``, a set that misses images of the subset. NMEs are
    reported in percent per yaw bucket (abs yaw in [0, 30], (30, 60], above
    60), with the mean and std of the three bucket means and the all-image
    mean, and logged as a table in the layout of the 2DASL paper's Table 1.

    Args:
        ann_root (str): Annotation folder, resolved against the data root.
            Defaults to ``'aflw2000_3d/annotations'``.
        gt (str): ``'ori'`` (``AFLW2000-3D.pts68.npy``) or ``'re'``
            (``AFLW2000-3D-Reannotated.pts68.npy``) 68-point ground truth.
            Defaults to ``'ori'``.
        subset (str): ``'2000'`` or ``'1998'`` (without ids 1081 and 1798,
            the two images FAN fails on); samples of left-out images are
            ignored. Defaults to ``'2000'``.
        pose_file (str): Yaw file in ``ann_root`` that sets the buckets:
            ``'AFLW2000-3D.pose.npy'`` or ``'AFLW2000-3D-new.pose.npy'``.
            Defaults to the former.
        allow_partial (bool): Evaluate whatever subset of images was
            processed (logging how many), instead of raising. Defaults to
            False.
        data_root (str, optional): Explicit data root. Defaults to None.
        collect_device (str): Device for collecting results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix; None gives
            ``'aflw2000'`` or ``'aflw1998'`` after ``subset``. Defaults to
            None.
        collect_dir (str, optional): Directory for collecting results.
            Defaults to None.
    """

    def __init__(self,
                 ann_root: PathLike = 'aflw2000_3d/annotations',
                 gt: str = 'ori',
                 subset: str = '2000',
                 pose_file: PathLike = 'AFLW2000-3D.pose.npy',
                 allow_partial: bool = False,
                 data_root: Optional[PathLike] = None,
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
        self.data_root = data_root
        self.ann_root = ann_root
        self.pose_file = pose_file
        self.gt = gt
        self.ann = load_aflw2000_annotations(ann_root, gt, pose_file,
                                             data_root)

    def _sample_id(self, sample: Sample) -> int:
        """The checked ``img_id`` of one sample."""
        img_id = int(sample_field(sample, 'img_id'))
        if not 0 <= img_id < AFLW2000_NUM_IMAGES:
            raise ValueError(
                f'data sample ({describe_sample(sample)}): img_id {img_id} '
                f'is outside [0, {AFLW2000_NUM_IMAGES}), not an index into '
                'AFLW2000-3D.list')
        img_path = sample.get('img_path', None)
        name = self.ann['names'][img_id]
        if img_path is not None and Path(img_path).stem != Path(name).stem:
            raise ValueError(
                f'data sample ({describe_sample(sample)}): img_path does not '
                f'match entry {img_id} of AFLW2000-3D.list ({name}); the '
                "dataset's order must follow the annotation files")
        return img_id

    def _select(self, results: List[dict]) -> Tuple[np.ndarray, List[dict]]:
        """The image ids and results of the subset, ordered by id."""
        ids = np.array([r['img_id'] for r in results], dtype=np.int64)
        rows = select_aflw2000_subset(ids, self.subset, self.allow_partial,
                                      self.ann['names'])
        return ids[rows], [results[i] for i in rows]

    def _report(self, nmes: Dict[str, np.ndarray], ids: np.ndarray,
                title: str) -> Dict[str, float]:
        """Summarise per-image NMEs (fractions) by yaw bucket, in percent.

        Args:
            nmes (dict[str, np.ndarray]): Protocol name -> (N,) NME.
            ids (np.ndarray): (N,) image ids.
            title (str): What is measured, for the logged table.

        Returns:
            dict[str, float]: ``'{name}_{key}'`` for ``key`` in
            ``0-30, 30-60, 60-90, mean3, std3, all``.
        """
        yaw = self.ann['yaw'][ids]
        summaries = {
            name: {k: 100.0 * v
                   for k, v in summarize_by_yaw(nme, yaw).items()}
            for name, nme in nmes.items()
        }
        header = (f'{title} on AFLW{self.subset}: {len(ids)} of '
                  f'{self.num_expected} images, yaw buckets from '
                  f'{self.pose_file}')
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

    The ground-truth mesh of each image is rebuilt from its ``.mat`` fit
    truncated to the morphable model's components (the full 199 + 29 BFM is
    not available), in the crop frame of the released benchmark box, and
    mapped to the image. The prediction is ``pred_params`` (raw crop params in
    the morphable model's params convention) mapped to the image with the
    sample's ``roi_box``. Meshes are rebuilt in chunks inside
    ``compute_metrics``; samples carry only their params.

    Per-sample keys read: ``img_id``, ``img_path`` (optional check),
    ``pred_params`` (P,), ``roi_box`` (4,).

    Args:
        morphable_model (dict): Config of the
            :class:`~mmface3d.models.MorphableModel` whose convention and
            vertices the predictions use. Its ``data_root`` defaults to the
            metric's. Defaults to the 3DDFA v1 model without whitening.
        fit_root (str): Folder of the ``.mat`` fits. Defaults to
            ``'aflw2000_3d/AFLW2000'``.
        roi_box_file (str): Benchmark crop boxes in ``ann_root``.
        img_height (float): Image height of the fits. Defaults to 450.
        chunk_size (int): Meshes rebuilt at once. Defaults to 50.
        **kwargs: :class:`BaseAFLW2000Metric` arguments except ``gt``.
    """

    def __init__(self,
                 morphable_model: Optional[dict] = None,
                 fit_root: PathLike = 'aflw2000_3d/AFLW2000',
                 roi_box_file: PathLike = AFLW2000_ROI_BOX_FILE,
                 img_height: float = 450.0,
                 chunk_size: int = 50,
                 **kwargs) -> None:
        super().__init__(gt='ori', **kwargs)
        cfg = copy.deepcopy(morphable_model or dict(
            type='MorphableModel', param_stats=None))
        cfg.setdefault('data_root', self.data_root)
        self.model: nn.Module = MODELS.build(cfg)
        # None: whole meshes; see _keep_vertices.
        self.vertex_ids: Optional[torch.Tensor] = None
        self.fit_root = fit_root
        self.roi_box_file = roi_box_file
        self.img_height = img_height
        self.chunk_size = chunk_size
        self.gt_roi_boxes = load_aflw2000_roi_boxes(self.ann_root,
                                                    roi_box_file,
                                                    self.data_root)
        self.gt_tag = f'gt{self.model.n_shape}+{self.model.n_exp}'
        self._gt_params: Optional[Tensor] = None

    @property
    def gt_params(self) -> Tensor:
        """(2000, P) ground-truth crop params, read from the fits once."""
        if self._gt_params is None:
            self._gt_params = load_aflw2000_gt_params(
                self.model, self.fit_root, self.ann_root, self.roi_box_file,
                self.img_height, self.data_root)
        return self._gt_params

    def process(self, data_batch, data_samples: Sequence[Sample]) -> None:
        """Keep ``img_id``, ``pred_params`` and ``roi_box`` of each sample."""
        for sample in data_samples:
            self.results.append(
                dict(
                    img_id=self._sample_id(sample),
                    pred_params=sample_array(sample, 'pred_params',
                                             (self.model.num_params, )),
                    roi_box=sample_array(sample, 'roi_box', (4, ))))

    def _keep_vertices(self, step: int) -> None:
        """Score only every ``step``-th vertex of the mesh.

        :meth:`_meshes` then builds (B, ceil(N / step), 3) point clouds from
        those vertices' rows of the basis only, not the dense meshes.

        Args:
            step (int): Keep vertices ``0, step, 2 step, ...``.
        """
        if not isinstance(step, int) or step < 1:
            raise ValueError(f'step must be an int >= 1, got {step!r}')
        self.vertex_ids = torch.arange(0, self.model.num_vertices, step)

    def _meshes(self, ids: np.ndarray, rows: List[dict]
                ) -> Iterator[Tuple[slice, np.ndarray, np.ndarray]]:
        """Predicted and ground-truth image-frame meshes, chunk by chunk.

        Yields:
            tuple: the chunk's slice of ``ids``, the predicted and the
            ground-truth meshes (b, N, 3) float32.
        """
        model = self.model
        pred_params = torch.from_numpy(
            np.stack([r['pred_params'] for r in rows]))
        pred_boxes = torch.from_numpy(np.stack([r['roi_box'] for r in rows]))
        gt_params = self.gt_params[torch.from_numpy(ids)]
        gt_boxes = torch.from_numpy(self.gt_roi_boxes[ids]).float()
        for start in range(0, len(ids), self.chunk_size):
            part = slice(start, start + self.chunk_size)
            meshes = [
                model.crop_to_image(
                    model.reconstruct(params[part], self.vertex_ids),
                    boxes[part]).transpose(1, 2).numpy()
                for params, boxes in ((pred_params, pred_boxes),
                                      (gt_params, gt_boxes))
            ]
            yield part, meshes[0], meshes[1]
