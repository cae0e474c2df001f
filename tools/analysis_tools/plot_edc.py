"""Plot error distribution curves (EDC) of saved predictions on AFLW2000-3D.

Each method is an ``.npz`` of predictions written by ``tools/test.py --out``
(format: :mod:`mmface3d.evaluation.functional.predictions`). For every yaw
bucket (abs yaw in [0, 30], (30, 60], above 60) and for all images, the
figure shows, per method, the fraction of images whose 68-point NME is at
most x, against x in percent (the 2DASL paper's Fig. 6 / 7 style); one row
of panels per measure (2D and / or 3D). The per-bucket table of each method
is printed as well.

Example::

    python tools/analysis_tools/plot_edc.py \\
        --pred 3DDFA_V2=work_dirs/3ddfa_v2/aflw2000.npz \\
        --pred 2DASL=work_dirs/2dasl/aflw2000.npz \\
        --dims 2d 3d --out work_dirs/edc_aflw2000.png
"""
import argparse
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mmface3d.datasets import AFLW2000Dataset  # noqa: E402
from mmface3d.evaluation.functional import (YAW_BUCKETS,  # noqa: E402
                                            aflw2000_landmark_nme,
                                            format_nme_table, load_predictions,
                                            select_aflw2000_subset,
                                            summarize_by_yaw, yaw_bucket_index)

PANELS = YAW_BUCKETS + ('all', )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Error distribution curves of saved predictions on '
        'AFLW2000-3D, per yaw bucket and overall.')
    parser.add_argument(
        '--pred',
        action='append',
        required=True,
        metavar='NAME=PATH',
        help='a method: legend name and its predictions .npz; repeat for '
        'several methods')
    parser.add_argument('--out', required=True, help='output PNG file')
    parser.add_argument(
        '--gt', choices=['ori', 're'], default='ori',
        help='original or re-annotated 68-point ground truth')
    parser.add_argument(
        '--subset', choices=['2000', '1998'], default='2000',
        help='all images, or without the two FAN failures')
    parser.add_argument(
        '--dims', nargs='+', choices=['2d', '3d'], default=['2d'],
        help='measures to plot, one row of panels each (3d needs --gt ori)')
    parser.add_argument(
        '--pose-file', default='AFLW2000-3D.pose.npy',
        help='yaw file in the annotation folder that sets the buckets')
    parser.add_argument(
        '--ann-root', default='aflw2000_3d/annotations',
        help='annotation folder, relative to the data root')
    parser.add_argument(
        '--data-root', default=None,
        help='data root (default: $MMFACE3D_DATA, else <repo>/data)')
    parser.add_argument(
        '--max-nme', type=float, default=10.0,
        help='right end of the NME axis, in percent')
    parser.add_argument(
        '--allow-partial', action='store_true',
        help='accept predictions that miss images of the subset')
    args = parser.parse_args(argv)
    if args.gt == 're' and '3d' in args.dims:
        parser.error('--dims 3d needs --gt ori: the re-annotation is 2D only')
    return args


def parse_pred_specs(specs: Sequence[str]) -> Dict[str, Path]:
    """``['name=path', ...]`` -> ``{name: path}`` in the given order."""
    methods = {}
    for spec in specs:
        name, sep, path = spec.partition('=')
        if not sep or not name or not path:
            raise ValueError(f'--pred {spec!r}: expected NAME=PATH')
        if name in methods:
            raise ValueError(f'--pred: method name {name!r} given twice')
        methods[name] = Path(path)
    return methods


def load_ground_truth(args: argparse.Namespace) -> dict:
    """The AFLW2000-3D ground truth as the dataset attaches it to samples
    (:meth:`AFLW2000Dataset.benchmark_ground_truth`)."""
    return AFLW2000Dataset(
        ann_file=f'{args.ann_root}/AFLW2000-3D.list',
        data_root=args.data_root,
        gt_landmarks=args.gt,
        pose_file=args.pose_file,
        pipeline=[]).benchmark_ground_truth()


def method_nmes(predictions: Dict[str, np.ndarray], ann: dict, subset: str,
                dims: Sequence[str], allow_partial: bool
                ) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """Per-image NME (percent) of one method.

    Returns:
        tuple: the evaluated image ids (N,) and ``{dim: (N,) NME}``.
    """
    rows = select_aflw2000_subset(predictions['img_ids'], subset,
                                  allow_partial)
    ids = predictions['img_ids'][rows]
    pred = predictions['pred_landmarks'][rows]
    gt = ann['landmarks'][ids]
    return ids, {
        dim: 100.0 * aflw2000_landmark_nme(pred, gt, dim)
        for dim in dims
    }


def cumulative_curve(nme: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Fraction of images with NME at most each threshold.

    Args:
        nme (np.ndarray): (N,) per-image errors.
        thresholds (np.ndarray): (T,) increasing thresholds.

    Returns:
        np.ndarray: (T,) fractions in [0, 1].
    """
    nme = np.sort(np.asarray(nme))
    return np.searchsorted(nme, thresholds, side='right') / len(nme)


def plot_edc(results: Dict[str, Tuple[np.ndarray, Dict[str, np.ndarray]]],
             yaw: np.ndarray, dims: Sequence[str], title: str,
             max_nme: float, out: Path) -> Path:
    """Draw the curves of all methods and save the figure.

    Args:
        results (dict): Method name -> (image ids (N,), {dim: (N,) NME %}).
        yaw (np.ndarray): (2000,) yaw of every image, degrees.
        dims (Sequence[str]): Measures, one row of panels each.
        title (str): Figure title.
        max_nme (float): Right end of the x axis (percent).
        out (Path): Output PNG.

    Returns:
        Path: The written file.
    """
    thresholds = np.linspace(0.0, max_nme, 501)
    fig, axes = plt.subplots(
        len(dims), len(PANELS), figsize=(4.2 * len(PANELS), 3.8 * len(dims)),
        squeeze=False)
    for row, dim in enumerate(dims):
        for col, panel in enumerate(PANELS):
            ax = axes[row, col]
            for name, (ids, nmes) in results.items():
                bucket = yaw_bucket_index(yaw[ids])
                keep = np.ones(len(ids), bool) if panel == 'all' else \
                    bucket == PANELS.index(panel)
                if not keep.any():
                    continue
                errors = nmes[dim][keep]
                ax.plot(
                    thresholds,
                    cumulative_curve(errors, thresholds),
                    label=f'{name}: {errors.mean():.2f}% '
                    f'({keep.sum()} images)')
            label = {'all': 'all yaws', '60-90': '|yaw| > 60'}.get(
                panel, f'|yaw| {panel.replace("-", " to ")}')
            ax.set_title(f'{dim.upper()} landmarks, {label}')
            ax.set_xlim(0, max_nme)
            ax.set_ylim(0, 1)
            ax.grid(True, alpha=0.3)
            ax.set_xlabel('NME normalised by bbox size (%)')
            ax.set_ylabel('Fraction of images')
            ax.legend(loc='lower right', fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    """Run the tool; returns the printed tables (one per method)."""
    args = parse_args(argv)
    methods = parse_pred_specs(args.pred)
    ann = load_ground_truth(args)
    results, tables = {}, []
    for name, path in methods.items():
        ids, nmes = method_nmes(
            load_predictions(path), ann, args.subset, args.dims,
            args.allow_partial)
        results[name] = (ids, nmes)
        yaw = ann['yaw'][ids]
        table = format_nme_table(
            f'{name} ({path}): 68-point NME (%), {args.gt} ground truth, '
            f'AFLW{args.subset}, {len(ids)} images',
            {dim.upper(): summarize_by_yaw(nmes[dim], yaw)
             for dim in args.dims},
            np.bincount(yaw_bucket_index(yaw), minlength=3))
        print(table)
        tables.append(table)
    out = plot_edc(
        results, ann['yaw'], args.dims,
        f'AFLW{args.subset} ({args.gt} ground truth): error distribution',
        args.max_nme, Path(args.out))
    print(f'saved {out}')
    return tables


if __name__ == '__main__':
    main()
