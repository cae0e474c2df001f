"""Reading the fields of data samples as metrics receive them.

mmengine's ``Evaluator.process`` hands metrics ``data_sample.to_dict()``
(metainfo and data fields flattened into one dict); a direct call may pass
:class:`~mmface3d.structures.Face3DDataSample` objects. Both answer ``get``.
"""
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

Sample = Union[dict, BaseDataElement]


def format_shape(shape: Sequence[Optional[int]], wildcard: str = '*') -> str:
    """``(68, 3)``-style text of an expected shape, None as ``wildcard``."""
    dims = ['{}'.format(wildcard if s is None else s) for s in shape]
    return '(' + ', '.join(dims) + (',)' if len(dims) == 1 else ')')


def describe_sample(sample: Sample) -> str:
    """``'img_id=..., img_path=...'`` for error messages."""
    return (f"img_id={sample.get('img_id', '?')}, "
            f"img_path={sample.get('img_path', '?')}")


def sample_field(sample: Sample, key: str) -> Any:
    """The value of ``key`` (metainfo or data field) of one sample.

    Raises:
        KeyError: If the sample has no ``key``; the message names the sample.
    """
    value = sample.get(key, None)
    if value is None:
        raise KeyError(f'data sample ({describe_sample(sample)}) has no '
                       f'field `{key}`')
    return value


def sample_array(sample: Sample,
                 key: str,
                 shape: Sequence[Optional[int]],
                 dtype: type = np.float32) -> np.ndarray:
    """A numeric field of one sample as a checked numpy array.

    Args:
        sample (dict | BaseDataElement): The data sample.
        key (str): Field name, e.g. ``'pred_landmarks'``.
        shape (Sequence[int | None]): Expected shape, None for any size.
        dtype (type): Output dtype. Defaults to ``np.float32``.

    Returns:
        np.ndarray: The field, on the CPU, of the expected shape.

    Raises:
        ValueError: If the shape differs or a value is NaN / inf (a diverged
            prediction must not be averaged into a metric silently); the
            message names the field and the sample's ``img_id`` /
            ``img_path``.
    """
    value = sample_field(sample, key)
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=dtype)
    if array.ndim != len(shape) or any(
            s is not None and s != n for s, n in zip(shape, array.shape)):
        raise ValueError(f'`{key}` of data sample ({describe_sample(sample)})'
                         f' has shape {array.shape}, expected '
                         f'{format_shape(shape)}')
    if not np.isfinite(array).all():
        raise ValueError(f'`{key}` of data sample ({describe_sample(sample)})'
                         ' holds NaN or inf values; refusing to average a '
                         'diverged prediction into the metric')
    return array


def excluded_result(sample: Sample) -> Optional[dict]:
    """The record of a sample its dataset excluded from scoring (metainfo
    ``excluded``: the reason, set under ``invalid_samples='exclude'``), or
    None for a sample to score."""
    reason = sample.get('excluded', None)
    if reason is None:
        return None
    return dict(
        img_id=int(sample_field(sample, 'img_id')),
        img_path=str(sample.get('img_path', '?')),
        excluded=str(reason))


def split_excluded(results: Sequence[dict]
                   ) -> Tuple[List[dict], List[dict]]:
    """(results to score, records of :func:`excluded_result`)."""
    kept = [r for r in results if 'excluded' not in r]
    return kept, [r for r in results if 'excluded' in r]


def describe_excluded(excluded: Sequence[dict], shown: int = 5) -> str:
    """``'; 3 excluded: a.jpg (reason), ...'``, or '' for none."""
    if not excluded:
        return ''
    listed = '; '.join(f'{Path(r["img_path"]).name} ({r["excluded"]})'
                       for r in excluded[:shown])
    more = ' ...' if len(excluded) > shown else ''
    return f'; {len(excluded)} excluded: {listed}{more}'
