"""Build the 300W-LP annotation cache that ``W300LPDataset`` reads.

One pass over the ``.mat`` fits of the release layout::

    300W_LP/{AFW,HELEN,IBUG,LFPW}[_Flip]/NAME.jpg + NAME.mat
    300W_LP/landmarks/{AFW,HELEN,IBUG,LFPW}/NAME_pts.mat   (pts_2d, pts_3d)

The landmark tree covers the unflipped images only; a ``_Flip`` image (or any
image without a landmark file) takes ``pt2d`` (2, 68) of its fit for both
``pts_2d`` and ``pts_3d``, and is flagged in ``landmark_file``. Files that
cannot be used (unreadable image or ``.mat``, missing fields, wrong shapes,
NaN) are reported and left out; the list is written next to the cache.

The cache (``np.savez``) holds, for N samples in sorted order:
``names`` (N,) str ``SUBSET/NAME.jpg``; ``img_size`` (N, 2) int32 ``[W, H]``;
``pose_para`` (N, 7) float64; ``shape_para`` (N, 40) and ``exp_para``
(N, 10) float32 (the components the BFM arrays hold); ``pts_2d`` and
``pts_3d`` (N, 68, 2) float32 image pixels; ``landmark_file`` (N,) bool.

Example::

    python tools/dataset_converters/prepare_300wlp.py data/300W_LP
    python tools/dataset_converters/prepare_300wlp.py data/300W_LP \\
        --subsets AFW HELEN --out data/300W_LP/300wlp_annotations_small.npz

Exit status: 0 the cache was written; 1 no usable sample was found.
"""
import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import scipy.io as sio
from mmengine.logging import print_log
from tqdm import tqdm

from mmface3d.datasets.image_sizes import read_image_size
from mmface3d.morphable import load_fit_mat
from mmface3d.utils import get_data_root

SUBSETS = ('AFW', 'HELEN', 'IBUG', 'LFPW', 'AFW_Flip', 'HELEN_Flip',
           'IBUG_Flip', 'LFPW_Flip')
CACHE_NAME = '300wlp_annotations.npz'
N_SHAPE, N_EXP = 40, 10


def _landmarks_68(value: np.ndarray, path: Path, field: str) -> np.ndarray:
    """A (68, 2) or (2, 68) array as finite (68, 2) float32."""
    value = np.asarray(value, dtype=np.float64)
    if value.shape == (2, 68):
        value = value.T
    if value.shape != (68, 2) or not np.isfinite(value).all():
        raise ValueError(f'{path}: field `{field}` has shape {value.shape}, '
                         'expected (68, 2) finite pixel coordinates')
    return value.astype(np.float32)


def read_sample(root: Path, subset: str, stem: str) -> Dict:
    """Read one 300W-LP sample.

    Args:
        root (Path): The ``300W_LP`` folder.
        subset (str): Sub-folder, e.g. ``'AFW'`` or ``'AFW_Flip'``.
        stem (str): File name without extension.

    Returns:
        dict: ``name``, ``img_size`` (2,), ``pose_para`` (7,),
        ``shape_para`` (40,), ``exp_para`` (10,), ``pts_2d`` / ``pts_3d``
        (68, 2) and ``landmark_file`` (bool).

    Raises:
        ValueError: The image header cannot be read (missing, not an image,
            a decompression bomb), a ``.mat`` file is unreadable or lacks a
            field, or a field has the wrong shape or non-finite values.
    """
    img = root / subset / f'{stem}.jpg'
    fit = load_fit_mat(root / subset / f'{stem}.mat')
    size = read_image_size(img)
    lm_path = root / 'landmarks' / subset / f'{stem}_pts.mat'
    if lm_path.is_file():
        try:
            mat = sio.loadmat(str(lm_path))
        except Exception as err:  # scipy raises several types
            raise ValueError(f'{lm_path}: not a readable .mat file ({err})') \
                from err
        for field in ('pts_2d', 'pts_3d'):
            if field not in mat:
                raise ValueError(f'{lm_path}: field `{field}` is missing '
                                 '(expected (68, 2))')
        pts_2d = _landmarks_68(mat['pts_2d'], lm_path, 'pts_2d')
        pts_3d = _landmarks_68(mat['pts_3d'], lm_path, 'pts_3d')
    elif 'pt2d' in fit:
        pts_2d = pts_3d = _landmarks_68(fit['pt2d'],
                                        root / subset / f'{stem}.mat', 'pt2d')
    else:
        raise ValueError(f'{lm_path} does not exist and '
                         f'{root / subset / stem}.mat has no `pt2d`')
    return dict(
        name=f'{subset}/{stem}.jpg',
        img_size=np.asarray(size, dtype=np.int32),
        pose_para=fit['pose_para'][:7],
        shape_para=fit['shape_para'][:N_SHAPE].astype(np.float32),
        exp_para=fit['exp_para'][:N_EXP].astype(np.float32),
        pts_2d=pts_2d,
        pts_3d=pts_3d,
        landmark_file=lm_path.is_file())


def prepare(root: Path,
            out: Path,
            subsets: Optional[Sequence[str]] = None,
            progress: bool = True) -> Tuple[int, List[Tuple[str, str]]]:
    """Scan ``root`` and write the cache.

    Args:
        root (Path): The ``300W_LP`` folder.
        out (Path): Cache file to write (``.npz``).
        subsets (Sequence[str], optional): Sub-folders to read; None reads
            every one of :data:`SUBSETS` that exists. Defaults to None.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        tuple[int, list[tuple[str, str]]]: Samples written, and
        ``(file, reason)`` of every file left out.
    """
    wanted = SUBSETS if subsets is None else tuple(subsets)
    unknown = sorted(set(wanted) - set(SUBSETS))
    if unknown:
        raise ValueError(f'unknown 300W-LP subsets {unknown}; expected some '
                         f'of {list(SUBSETS)}')
    if out.suffix != '.npz':
        raise ValueError(f'the cache must be a .npz file, got {out}')
    if subsets is not None:
        missing = [s for s in wanted if not (root / s).is_dir()]
        if missing:
            raise FileNotFoundError(f'{root}: subset folders {missing} do '
                                    'not exist')
    jobs = [(s, p.stem) for s in wanted if (root / s).is_dir()
            for p in sorted((root / s).glob('*.mat'))]
    samples, skipped = [], []
    for subset, stem in tqdm(jobs, desc='300W-LP', disable=not progress):
        try:
            samples.append(read_sample(root, subset, stem))
        except (OSError, ValueError) as err:
            skipped.append((f'{subset}/{stem}', str(err)))
            print_log(
                f'skipped {subset}/{stem}: {err}',
                logger='current',
                level=logging.WARNING)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = out.with_suffix('.skipped.txt')
    if skipped:
        report.write_text(''.join(f'{n}\t{r}\n' for n, r in skipped))
    elif report.exists():
        report.unlink()
    if not samples:
        return 0, skipped
    arrays = {
        key: np.stack([s[key] for s in samples])
        for key in ('img_size', 'pose_para', 'shape_para', 'exp_para',
                    'pts_2d', 'pts_3d', 'landmark_file')
    }
    np.savez(out, names=np.array([s['name'] for s in samples]), **arrays)
    return len(samples), skipped


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build the 300W-LP annotation cache of W300LPDataset.')
    parser.add_argument(
        'root',
        nargs='?',
        help='the 300W_LP folder (default: <data root>/300W_LP)')
    parser.add_argument(
        '--out',
        help=f'cache file (default: <root>/{CACHE_NAME}, where '
        'W300LPDataset looks by default)')
    parser.add_argument(
        '--subsets',
        nargs='+',
        choices=SUBSETS,
        help='sub-folders to read (default: all that exist)')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    root = Path(args.root) if args.root else get_data_root() / '300W_LP'
    out = Path(args.out) if args.out else root / CACHE_NAME
    if not root.is_dir():
        print(
            f'error: {root} is not a folder (see docs/datasets.md)',
            file=sys.stderr)
        return 1
    num, skipped = prepare(root, out, args.subsets, not args.no_progress)
    if skipped:
        print(f'{len(skipped)} files left out, listed in '
              f'{out.with_suffix(".skipped.txt")}')
    if not num:
        print(f'error: no usable sample under {root}', file=sys.stderr)
        return 1
    print(f'wrote {num} samples to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
