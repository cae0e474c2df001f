"""Normalised mean errors (NME) and their yaw-bucket summaries
(REFERENCE.md section 6), batched in numpy over the whole evaluation set."""
from typing import Dict, Optional, Sequence

import numpy as np

YAW_BUCKETS = ('0-30', '30-60', '60-90')
SUMMARY_KEYS = YAW_BUCKETS + ('mean3', 'std3', 'all')


def _error_ids(mask: np.ndarray, ids: Optional[np.ndarray]) -> list:
    """The ids (or row indices) of the rows flagged in ``mask``, at most 10."""
    rows = np.flatnonzero(mask)[:10]
    return (rows if ids is None else np.asarray(ids)[rows]).tolist()


def bbox_size(points: np.ndarray,
              visible: Optional[np.ndarray] = None,
              ids: Optional[np.ndarray] = None) -> np.ndarray:
    """``sqrt(w * h)`` of the (x, y) bounding box of each point set.

    Args:
        points (np.ndarray): (N, K, D) points, D >= 2, x and y first.
        visible (np.ndarray, optional): (N, K) bool, the points that count.
            Defaults to None (all).
        ids (np.ndarray, optional): (N,) sample ids named in errors.
            Defaults to None (row indices).

    Returns:
        np.ndarray: (N,) box sizes.

    Raises:
        ValueError: If a box has zero area (or no visible point).
    """
    xy = np.asarray(points, dtype=np.float64)[..., :2]
    if visible is None:
        lo, hi = xy.min(1), xy.max(1)
    else:
        mask = np.asarray(visible, dtype=bool)[..., None]
        lo = np.where(mask, xy, np.inf).min(1)
        hi = np.where(mask, xy, -np.inf).max(1)
    with np.errstate(invalid='ignore'):
        size = np.sqrt(np.prod(hi - lo, axis=1))
    bad = ~(size > 0)
    if bad.any():
        raise ValueError(
            f'ground-truth point bbox has zero area (or no visible point) '
            f'for {int(bad.sum())} samples: {_error_ids(bad, ids)}')
    return size


def zero_min_z(points: np.ndarray) -> np.ndarray:
    """Shift z so that each point set's minimum z is 0.

    Args:
        points (np.ndarray): (N, K, 3) points.

    Returns:
        np.ndarray: (N, K, 3) shifted copy.
    """
    points = np.array(points, dtype=np.result_type(points, np.float32))
    points[..., 2] -= points[..., 2].min(1, keepdims=True)
    return points


def point_nme(pred: np.ndarray,
              gt: np.ndarray,
              norm: np.ndarray,
              visible: Optional[np.ndarray] = None) -> np.ndarray:
    """Per-sample mean point-to-point Euclidean error divided by ``norm``.

    Args:
        pred (np.ndarray): (N, K, D) predicted points.
        gt (np.ndarray): (N, K, D) ground-truth points in the same frame.
        norm (np.ndarray): (N,) normalisers, e.g. :func:`bbox_size`.
        visible (np.ndarray, optional): (N, K) bool; only these points count.
            Defaults to None (all).

    Returns:
        np.ndarray: (N,) NME as fractions (multiply by 100 for percent).
    """
    if pred.shape != gt.shape or pred.ndim != 3:
        raise ValueError(f'pred and gt must be (N, K, D) of one shape, got '
                         f'{pred.shape} and {gt.shape}')
    dist = np.linalg.norm(pred - gt, axis=2)
    if visible is None:
        return dist.mean(1) / norm
    visible = np.asarray(visible, dtype=bool)
    return (dist * visible).sum(1) / visible.sum(1) / norm


def yaw_bucket_index(yaw: np.ndarray) -> np.ndarray:
    """Yaw bucket of each sample: 0 for ``|yaw|`` in [0, 30], 1 for (30, 60],
    2 above 60.

    The last bucket is named ``'60-90'`` after the papers' tables but also
    holds the few AFLW2000-3D fits with ``|yaw| > 90`` (7 in
    ``AFLW2000-3D.pose.npy``): the reference counts 1312 / 383 / 305 include
    them there.

    Args:
        yaw (np.ndarray): (N,) yaw in degrees.

    Returns:
        np.ndarray: (N,) int64 bucket indices.
    """
    yaw = np.abs(np.asarray(yaw, dtype=np.float64))
    return (yaw > 30).astype(np.int64) + (yaw > 60)


def summarize_by_yaw(nme: np.ndarray, yaw: np.ndarray) -> Dict[str, float]:
    """The table entries of one protocol: bucket means and their summary.

    Args:
        nme (np.ndarray): (N,) per-sample NME.
        yaw (np.ndarray): (N,) yaw in degrees.

    Returns:
        dict[str, float]: ``'0-30'``, ``'30-60'``, ``'60-90'`` (bucket
        means), ``'mean3'`` (mean of the three bucket means, the papers'
        "Mean"), ``'std3'`` (their population standard deviation, the
        papers' "Std") and ``'all'`` (mean over all samples). An empty bucket
        gives NaN, and then so do ``'mean3'`` and ``'std3'``.
    """
    nme = np.asarray(nme, dtype=np.float64)
    bucket = yaw_bucket_index(yaw)
    counts = np.bincount(bucket, minlength=3)
    sums = np.bincount(bucket, weights=nme, minlength=3)
    with np.errstate(invalid='ignore', divide='ignore'):
        means = sums / counts
    out = dict(zip(YAW_BUCKETS, means.tolist()))
    out['mean3'] = float(means.mean())
    out['std3'] = float(means.std())
    out['all'] = float(nme.mean())
    return out


def format_nme_table(title: str, rows: Dict[str, Dict[str, float]],
                     counts: Sequence[int]) -> str:
    """A text table in the layout of the 2DASL paper's Table 1.

    Args:
        title (str): First line, e.g. the benchmark and protocol.
        rows (dict[str, dict[str, float]]): Row label -> the output of
            :func:`summarize_by_yaw` (values already in percent).
        counts (Sequence[int]): Images per yaw bucket.

    Returns:
        str: The table.
    """
    header = ['NME (%)', '0 to 30', '30 to 60', '60 to 90', 'Mean', 'Std',
              'All']
    body = [['images'] + [str(int(c)) for c in counts] +
            ['', '', str(int(sum(counts)))]]
    body += [[label] + [f'{row[k]:.2f}' for k in SUMMARY_KEYS]
             for label, row in rows.items()]
    widths = [max(len(r[i]) for r in [header] + body)
              for i in range(len(header))]

    def line(cells):
        return '| ' + ' | '.join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths))) + ' |'

    rule = '|' + '|'.join('-' * (w + 2) for w in widths) + '|'
    return '\n'.join([title, line(header), rule] + [line(r) for r in body])
