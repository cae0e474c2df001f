"""The base of mmface3d's face datasets: data root resolution, input
landmarks, checks shared by the loaders and the bad-sample policy."""
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from mmface3d.structures import Face3DDataSample
from mmface3d.utils import get_data_root, resolve_data_path
from .image_sizes import read_image_sizes
from .landmark_io import load_landmark_file
from .transforms.face_data_error import FaceDataError
from .transforms.load_face_image import LoadFaceImage

MISSING_INPUT_POLICIES = ('skip', 'keep')
INVALID_SAMPLE_POLICIES = ('raise', 'exclude')


def _non_finite_keys(obj: Any, prefix: str = '') -> List[str]:
    """Names of the floating-point arrays / tensors in ``obj`` (nested dicts,
    sequences and data elements) that hold NaN or inf."""
    if isinstance(obj, torch.Tensor):
        # numpy on the CPU copy: a torch reduction on a small tensor pays for
        # its thread pool, which dominated the per-sample cost.
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        if np.issubdtype(obj.dtype, np.floating) and \
                not np.isfinite(obj).all():
            return [prefix or '<array>']
        return []
    if isinstance(obj, float):
        return [] if np.isfinite(obj) else [prefix or '<float>']
    if isinstance(obj, BaseDataElement):
        items = obj.all_items()
    elif isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(obj))
    else:
        return []
    bad = []
    for key, value in items:
        bad += _non_finite_keys(value, f'{prefix}.{key}' if prefix else key)
    return bad


def shape_matches(shape: Tuple[int, ...], num: int,
                  tail: Tuple[Optional[int], ...]) -> bool:
    """Whether ``shape`` is ``(num, *tail)``, None in ``tail`` matching any
    size."""
    return len(shape) == 1 + len(tail) and shape[0] == num and all(
        t is None or t == s for t, s in zip(tail, shape[1:]))


def load_row_array(path: Path, num: int, tail: Tuple[Optional[int], ...],
                   list_file: str) -> np.ndarray:
    """Load an annotation ``.npy`` holding one row per image of a list.

    Args:
        path (Path): The ``.npy`` file (it must exist).
        num (int): Rows expected.
        tail (tuple): The other dimensions, None for any size.
        list_file (str): The image list the rows follow (for the message).

    Returns:
        np.ndarray: The array, of shape ``(num, *tail)``.

    Raises:
        ValueError: The shape differs or a value is NaN / inf.
    """
    array = np.load(path)
    if not shape_matches(array.shape, num, tail) or \
            not np.isfinite(array).all():
        dims = [str(num)] + ['*' if t is None else str(t) for t in tail]
        raise ValueError(f'{path} has shape {array.shape}, expected '
                         f'({", ".join(dims)}{"," if not tail else ""}) '
                         f'finite values (one row per line of {list_file})')
    return array


def check_choice(name: str, value: Any, allowed: Sequence) -> None:
    """Raise a ValueError naming argument ``name`` unless ``value`` is one of
    ``allowed``."""
    if value not in allowed:
        raise ValueError(
            f'{name} must be one of {tuple(allowed)}, got {value!r}')


class BaseFaceDataset(BaseDataset):
    """Base class of the face datasets.

    - ``data_root`` is resolved with :func:`mmface3d.utils.get_data_root`
      (explicit > ``$MMFACE3D_DATA`` > ``<repo>/data``); ``ann_file`` and
      ``data_prefix`` are relative to it.
    - Input landmarks: ``input_landmarks`` names where the detector points
      that become ``landmarks_2d_input`` come from (a 68-point landmark list
      read with :meth:`read_input_landmarks`, unless the dataset says
      otherwise); with it ``metainfo['has_2d']`` defaults to True.
      ``missing_input`` decides what happens to an image the list has no
      points for.
    - Bad samples: in training, a sample whose pipeline raises
      :class:`~mmface3d.datasets.transforms.errors.FaceDataError` (a missing,
      corrupt or truncated image, an unusable annotation), returns None, or
      produces NaN / inf anywhere in its output is logged once (file and
      reason), recorded in :attr:`bad_samples` and replaced: mmengine's
      ``BaseDataset.__getitem__`` draws another index of the same dataset,
      up to ``max_refetch`` times. In ``test_mode`` a benchmark must not
      silently lose images: the error is raised (``invalid_samples=
      'raise'``), or the sample is excluded by that explicit policy
      (``'exclude'``): a placeholder of the same shape with metainfo
      ``excluded`` (the reason) takes its place, which the metrics count,
      name and leave out of the figures. Loaders skip
      samples with unusable annotations while building the data list (with a
      warning and a reason in :attr:`skipped`), so a dataset never yields
      NaN.

    :attr:`bad_samples` lives in the process that ran the pipeline: with
    dataloader workers each worker keeps its own record; the log lines are
    the complete report.

    Args:
        ann_file (str): Annotation file, relative to ``data_root``.
        data_root (str, optional): Data root. Defaults to None.
        data_prefix (dict): ``img_path`` prefix, relative to ``data_root``.
        input_landmarks (str, optional): Source of ``landmarks_2d_input``,
            for most datasets a 68-point landmark list of detector points
            relative to ``data_root``; None leaves them out. Defaults to
            None.
        missing_input (str): What to do with an image whose line in the
            ``input_landmarks`` list holds no points (or that has no line):
            ``'skip'`` the sample (a logged warning) or ``'keep'`` it
            without ``landmarks_2d_input`` (and ``has_2d=False``). Either
            way the names are listed in :attr:`missing_input`. Defaults to
            ``'skip'``.
        invalid_samples (str): In ``test_mode``, ``'raise'`` at a sample
            whose image or annotation is unusable, or ``'exclude'`` it (see
            above; ``tools/test.py --exclude-invalid``). Defaults to
            ``'raise'``.
        metainfo (dict, optional): Meta information overriding the class's
            ``METAINFO``. Defaults to None.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``pipeline``, ``test_mode``, ``lazy_init``, ``indices``,
            ``serialize_data``, ``max_refetch``).

    Attributes:
        missing_input (list[str]): Image names without input landmarks.
        skipped (dict[str, str]): Image name -> why the loader left it out.
        bad_samples (dict[int, str]): Index -> why its pipeline failed.
        excluded (dict[int, str]): Index -> why a test sample was excluded.
    """

    METAINFO: dict = dict(dataset_name='face', has_3d=False, has_2d=False)

    def __init__(self,
                 ann_file: str = '',
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path=''),
                 input_landmarks: Optional[str] = None,
                 missing_input: str = 'skip',
                 invalid_samples: str = 'raise',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        check_choice('missing_input', missing_input, MISSING_INPUT_POLICIES)
        check_choice('invalid_samples', invalid_samples,
                     INVALID_SAMPLE_POLICIES)
        self.invalid_samples = invalid_samples
        self.excluded: Dict[int, str] = {}
        self._input_template: Optional[torch.Tensor] = None
        self.input_landmarks = input_landmarks
        self.missing_input_policy = missing_input
        self.missing_input: List[str] = []
        self.skipped: Dict[str, str] = {}
        self.bad_samples: Dict[int, str] = {}
        metainfo = dict(metainfo or {})
        if input_landmarks is not None:
            metainfo.setdefault('has_2d', True)
        super().__init__(
            ann_file=ann_file,
            data_root=str(get_data_root(data_root)),
            data_prefix=data_prefix,
            metainfo=metainfo,
            **kwargs)

    def filter_data(self) -> List[dict]:
        """Refuse a data list that came out empty, saying why (mmengine
        would fail later with ``need at least one array to concatenate``).
        """
        if not self.data_list:
            reasons = {}
            for reason in self.skipped.values():
                reasons[reason] = reasons.get(reason, 0) + 1
            listed = '; '.join(f'{count} x {reason}'
                               for reason, count in list(reasons.items())[:5])
            raise ValueError(
                f'{type(self).__name__}: no usable sample in '
                f'{self.ann_file or "the dataset"} (data_root '
                f'{self.data_root}): {len(self.skipped)} skipped'
                f'{" (" + listed + ")" if listed else ""}, '
                f'{len(self.missing_input)} without input landmarks. Check '
                'the paths and the annotation file (docs/datasets.md).')
        return super().filter_data()

    def original_image(self, img_id: int, img_path: str) -> np.ndarray:
        """The (H, W, 3) BGR uint8 image a sample was cropped from, for
        drawing predictions on it.

        Args:
            img_id (int): The sample's ``img_id``.
            img_path (str): The sample's ``img_path``.
        """
        return LoadFaceImage().transform(dict(img_path=img_path))['img']

    def read_image_list(self) -> List[str]:
        """The image names of ``ann_file``, one per non-blank line."""
        with open(self.ann_file, encoding='utf-8') as f:
            return [line.strip() for line in f if line.strip()]

    def load_array(self,
                   name: str,
                   num: int,
                   tail: Tuple[Optional[int], ...],
                   required: bool = True) -> Optional[np.ndarray]:
        """An annotation ``.npy`` file next to ``ann_file``, one row per
        listed image.

        Args:
            name (str): File name.
            num (int): Rows expected (the images of ``ann_file``).
            tail (tuple): The other dimensions, None for any size.
            required (bool): Whether a missing file is an error; else None
                is returned. Defaults to True.

        Returns:
            np.ndarray | None: The array, of shape ``(num, *tail)``.

        Raises:
            FileNotFoundError: A required file is missing.
            ValueError: The shape differs or a value is NaN / inf.
        """
        path = Path(self.ann_file).parent / name
        if not path.is_file():
            if not required:
                return None
            raise FileNotFoundError(
                f'{path} does not exist (expected next to {self.ann_file}; '
                'see docs/datasets.md)')
        return load_row_array(path, num, tail, self.ann_file)

    def img_path(self, name: str) -> str:
        """The image file of a list entry: ``data_prefix['img_path']/name``."""
        return str(Path(self.data_prefix['img_path']) / name)

    def warn(self, message: str) -> None:
        """Log a warning naming this dataset."""
        print_log(
            f'{type(self).__name__}: {message}',
            logger='current',
            level=logging.WARNING)

    def readable_rows(self, names: List[str],
                      rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """The entries of ``rows`` whose image can be read, and their sizes.

        Reads the image headers (no decoding); unreadable images are logged
        and recorded in :attr:`skipped`.

        Args:
            names (list[str]): The dataset's image names.
            rows (np.ndarray): (R,) indices into ``names``.

        Returns:
            tuple[np.ndarray, np.ndarray]: The (K,) readable ``rows`` and
            their (K, 2) ``[W, H]``.
        """
        sizes, reasons = read_image_sizes(
            [self.img_path(names[i]) for i in rows])
        bad = [(names[i], r) for i, r in zip(rows, reasons) if r]
        if bad:
            listed = '; '.join(f'{n} ({r})' for n, r in bad[:5])
            self.warn(f'skipped {len(bad)} unreadable images: {listed}'
                      f'{" ..." if len(bad) > 5 else ""}')
        readable = (sizes > 0).all(1)
        for i in rows[~readable]:
            self.skipped[names[i]] = 'unreadable image'
        return rows[readable], sizes[readable]

    def read_input_landmarks(
            self,
            names: List[str]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Read the 68-point ``input_landmarks`` list for ``names``.

        Sets :attr:`missing_input` to the names without points (a line
        without points, or no line) and logs them. Without
        ``input_landmarks`` no image has points and every image is kept.

        Args:
            names (list[str]): The dataset's image names. A line without
                points may hold a row of ``names`` instead of a name, as
                ``fan_landmarks_crop120.txt`` does.

        Returns:
            tuple[np.ndarray, np.ndarray, np.ndarray]: (N, 68, 2) float32
            points as in the file (0 where missing), (N,) bool whether the
            name has them and (N,) bool whether ``missing_input`` keeps it.
        """
        points = np.zeros((len(names), 68, 2), dtype=np.float32)
        has = np.zeros(len(names), dtype=bool)
        self.missing_input = []
        if self.input_landmarks is None:
            return points, has, ~has
        path = resolve_data_path(self.input_landmarks, self.data_root)
        parsed = load_landmark_file(path, num_points=68)
        index = {name: i for i, name in enumerate(names)}
        rows = np.array([index.get(n, -1) for n in parsed['names']],
                        dtype=np.int64)
        unknown = [n for n, r in zip(parsed['names'], rows) if r < 0]
        if unknown:
            self.warn(f'{path}: {len(unknown)} lines name images that are '
                      f'not in {self.ann_file} (first: {unknown[0]}); '
                      'ignored')
        points[rows[rows >= 0]] = parsed['points'][rows >= 0]
        has[rows[rows >= 0]] = True
        self.missing_input = [n for n, h in zip(names, has) if not h]
        keep = self.missing_input_policy == 'keep'
        if self.missing_input:
            failed = ', '.join(f'{key} = {names[int(key)]}' if key.isdigit()
                               and int(key) < len(names) else key
                               for key in parsed['failed'])
            action = 'kept without landmarks_2d_input' if keep else 'skipped'
            self.warn(f'{path}: {len(self.missing_input)} images have no '
                      f'input landmarks and are {action}: '
                      f'{", ".join(self.missing_input[:10])}'
                      f'{" ..." if len(self.missing_input) > 10 else ""} '
                      f'(lines without points: {failed or "none"})')
        return points, has, has | keep

    def make_data_info(self, names: Sequence[str], index: int,
                       roi_box: np.ndarray, inputs: Optional[np.ndarray],
                       has_input: np.ndarray, **fields) -> dict:
        """One data list entry of image ``names[index]``.

        Args:
            names (Sequence[str]): The dataset's image names.
            index (int): The image's row in ``names``, its ``img_id``.
            roi_box (np.ndarray): (4,) float32 crop box.
            inputs (np.ndarray, optional): (N, 68, 2) float32 input
                landmarks of all images (e.g. from
                :meth:`read_input_landmarks`), read only where
                ``has_input``.
            has_input (np.ndarray): (N,) bool, whether an image has them.
            **fields: The dataset's other fields of the sample.

        Returns:
            dict: ``img_path``, ``img_id``, ``roi_box``, ``fields``,
            ``has_2d`` and, where the image has input landmarks,
            ``landmarks_2d_input``.
        """
        info = dict(
            img_path=self.img_path(names[index]),
            img_id=int(index),
            roi_box=roi_box,
            **fields,
            has_2d=bool(has_input[index]))
        if has_input[index]:
            info['landmarks_2d_input'] = inputs[index]
        return info

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on sample ``idx`` under the bad-sample policy.

        Returns:
            Any: The pipeline output; for a bad sample None (training: makes
            ``__getitem__`` draw another index) or, in ``test_mode`` with
            ``invalid_samples='exclude'``, an excluded placeholder.

        Raises:
            FaceDataError: In ``test_mode`` with ``invalid_samples='raise'``,
                for a sample whose pipeline fails or produces NaN / inf.
        """
        data_info = self.get_data_info(idx)
        path = data_info.get('img_path')
        try:
            results = self.pipeline(data_info)
        except FaceDataError as err:
            return self._invalid(idx, data_info, err)
        if results is None:
            return self._invalid(
                idx, data_info,
                FaceDataError(path, 'the pipeline returned None'))
        bad = _non_finite_keys(results)
        if bad:
            return self._invalid(
                idx, data_info,
                FaceDataError(path, f'NaN or inf in {", ".join(bad)}'))
        if self.test_mode and self._input_template is None:
            self._input_template = torch.zeros_like(results['inputs'])
        return results

    def _invalid(self, idx: int, data_info: dict,
                 error: FaceDataError) -> Any:
        """A sample that cannot be used, under the bad-sample policy."""
        path, reason = data_info.get('img_path'), error.reason
        if not self.test_mode:
            return self._reject(idx, path, reason)
        if self.invalid_samples == 'raise':
            raise error
        if idx not in self.excluded:
            self.excluded[idx] = reason
            self.warn(f'test sample {idx} ({path}) excluded: {reason} '
                      f'({len(self.excluded)} excluded so far)')
        sample = Face3DDataSample(
            metainfo=dict(
                img_path=path,
                img_id=data_info.get('img_id', idx),
                crop_affine=np.eye(2, 3, dtype=np.float32),
                excluded=reason))
        return dict(inputs=self._template(idx), data_samples=sample)

    def _template(self, idx: int) -> torch.Tensor:
        """Zeros shaped like the network input of a valid sample (found
        from ``idx`` on), for the placeholders of excluded ones."""
        for offset in range(1, len(self)):
            if self._input_template is not None:
                break
            try:
                results = self.pipeline(
                    self.get_data_info((idx + offset) % len(self)))
            except FaceDataError:
                continue
            if results is not None:
                self._input_template = torch.zeros_like(results['inputs'])
        if self._input_template is None:
            raise FaceDataError(
                None, f'{type(self).__name__}: every sample is invalid')
        return self._input_template.clone()

    def _reject(self, idx: int, path: Optional[str], reason: str) -> None:
        if idx not in self.bad_samples:
            self.bad_samples[idx] = reason
            self.warn(f'sample {idx} ({path}) skipped: {reason}; drawing '
                      f'another one ({len(self.bad_samples)} bad so far)')
        return None
