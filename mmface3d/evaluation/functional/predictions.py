"""Saved predictions: the ``.npz`` file that ``tools/test.py --out`` writes and
``tools/analysis_tools/plot_edc.py`` reads.

Format (one row per evaluated image, rows sorted by ``img_ids``):

- ``img_ids`` (N,) int64: index of each image in the dataset's list (for
  AFLW2000-3D, the line of ``AFLW2000-3D.list``, 0-based);
- ``pred_params`` (N, P) float32: raw (de-whitened) crop params in the
  params convention of the model that predicted them (P = 62 for 12 pose +
  40 shape + 10 expression);
- ``pred_landmarks`` (N, 68, 3) float32: the 68 landmarks in
  original-image pixels;
- ``crop_affines`` (N, 2, 3) float32: the image-to-crop affine of each
  sample's crop (its inverse maps ``pred_params`` back to the image, see
  :meth:`mmface3d.morphable.MorphableModel.image_params`);
- ``img_paths`` (N,) str, optional: the image files.
"""
from pathlib import Path
from typing import Dict, Sequence, Union

import numpy as np

from .sample_fields import Sample, format_shape, sample_array, sample_field

ARRAY_SPECS = {
    'img_ids': ((None, ), np.int64),
    'pred_params': ((None, None), np.float32),
    'pred_landmarks': ((None, 68, 3), np.float32),
    'crop_affines': ((None, 2, 3), np.float32),
}
OPTIONAL_KEYS = ('img_paths', )


def _check_predictions(predictions: Dict[str, np.ndarray],
                       source: str) -> Dict[str, np.ndarray]:
    """Validate keys, shapes, lengths and values; return typed arrays."""
    missing = set(ARRAY_SPECS) - set(predictions)
    if missing:
        raise KeyError(f'{source}: keys {sorted(missing)} are missing '
                       f'(expected {sorted(ARRAY_SPECS)})')
    out = {}
    for key, (shape, dtype) in ARRAY_SPECS.items():
        array = np.asarray(predictions[key])
        if array.ndim != len(shape) or any(
                s is not None and s != n for s, n in zip(shape, array.shape)):
            raise ValueError(f'{source}: `{key}` has shape {array.shape}, '
                             f'expected {format_shape(shape, "N")}')
        if not np.isfinite(array).all():
            raise ValueError(f'{source}: `{key}` holds NaN or inf values')
        out[key] = array.astype(dtype)
    for key in OPTIONAL_KEYS:
        if key in predictions:
            out[key] = np.asarray(predictions[key]).astype(str)
    lengths = {key: len(value) for key, value in out.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f'{source}: arrays of different lengths {lengths}')
    if len(np.unique(out['img_ids'])) != len(out['img_ids']):
        raise ValueError(f'{source}: `img_ids` holds duplicates')
    return out


def stack_predictions(data_samples: Sequence[Sample]) -> Dict[str, np.ndarray]:
    """Collect the predictions of data samples into the saved format.

    Args:
        data_samples (Sequence[dict | BaseDataElement]): Samples after the
            model's ``predict`` (``img_id``, ``img_path``, ``crop_affine``,
            ``pred_params``, ``pred_landmarks``), as objects or as their
            ``to_dict()`` form.

    Returns:
        dict[str, np.ndarray]: The arrays of the format above, in the order
        of the samples (:func:`save_predictions` sorts them by ``img_ids``).
    """
    if not data_samples:
        raise ValueError('no data samples to collect predictions from')
    predictions = {
        'img_ids': np.array(
            [int(sample_field(s, 'img_id')) for s in data_samples]),
        'pred_params': np.stack(
            [sample_array(s, 'pred_params', (None, )) for s in data_samples]),
        'pred_landmarks': np.stack([
            sample_array(s, 'pred_landmarks', (68, 3)) for s in data_samples
        ]),
        'crop_affines': np.stack(
            [sample_array(s, 'crop_affine', (2, 3)) for s in data_samples]),
        'img_paths': np.array(
            [str(s.get('img_path', '')) for s in data_samples]),
    }
    return _check_predictions(predictions, 'data samples')


def save_predictions(path: Union[str, Path],
                     predictions: Dict[str, np.ndarray]) -> Path:
    """Write predictions (see the module docstring) to an ``.npz`` file.

    Args:
        path (str | Path): Output file; ``.npz`` is appended by numpy when
            missing.
        predictions (dict[str, np.ndarray]): The arrays, e.g. from
            :func:`stack_predictions`.

    Returns:
        Path: The written file.
    """
    path = Path(path)
    if path.suffix != '.npz':
        path = path.with_name(path.name + '.npz')
    arrays = _check_predictions(predictions, str(path))
    order = np.argsort(arrays['img_ids'], kind='stable')
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{k: v[order] for k, v in arrays.items()})
    return path


def load_predictions(path: Union[str, Path]) -> Dict[str, np.ndarray]:
    """Read and validate an ``.npz`` written by :func:`save_predictions`.

    Returns:
        dict[str, np.ndarray]: The arrays of the format above.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'predictions file {path} does not exist')
    with np.load(path, allow_pickle=False) as data:
        return _check_predictions({k: data[k] for k in data.files}, str(path))
