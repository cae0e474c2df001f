"""Systematic offset of predicted landmarks from the AFLW2000-3D ground truth.

    python tools/analysis_tools/landmark_offsets.py PRED.npz [PRED.npz ...] \
        [--gt ori|re] [--shift DX DY]

Each ``PRED.npz`` holds the predictions of ``tools/test.py CONFIG CKPT --out
PRED.npz`` on the 2000 AFLW2000-3D images. For each file the tool prints the
mean and median signed offset (x, y) of the 68 predicted points from the
ground truth, in original-image pixels, and the 2D NME of the benchmark (all
images, mean of the three yaw buckets) as predicted and with every point moved
by (DX, DY) pixels: how much of a model's error one uniform shift, such as a
pixel-convention difference between a model and an annotation, accounts for.
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np

from mmface3d.datasets import AFLW2000Dataset
from mmface3d.evaluation.functional import (aflw2000_landmark_nme,
                                            load_predictions,
                                            select_aflw2000_subset,
                                            summarize_by_yaw)

ANN_FILE = 'aflw2000_3d/annotations/AFLW2000-3D.list'
IMG_PREFIX = 'aflw2000_3d/AFLW2000'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'predictions', nargs='+', help='.npz files of tools/test.py --out')
    parser.add_argument(
        '--gt',
        choices=('ori', 're'),
        default='ori',
        help='original or re-annotated ground truth (default: ori)')
    parser.add_argument(
        '--shift',
        type=float,
        nargs=2,
        default=(1.0, 1.0),
        metavar=('DX', 'DY'),
        help='uniform shift in image pixels to score as well (default: 1 1)')
    parser.add_argument(
        '--data-root',
        default=os.environ.get('MMFACE3D_DATA', 'data'),
        help='data root holding aflw2000_3d/ (default: $MMFACE3D_DATA, '
        'else data/)')
    return parser.parse_args(argv)


def load_ground_truth(data_root: str, gt: str) -> dict:
    """``landmarks`` (2000, 68, D) and ``yaw`` (2000,) of AFLW2000-3D by
    image id (:meth:`AFLW2000Dataset.benchmark_ground_truth`)."""
    return AFLW2000Dataset(
        ann_file=ANN_FILE,
        data_prefix=dict(img_path=IMG_PREFIX),
        data_root=data_root,
        gt_landmarks=gt,
        test_mode=True,
        pipeline=[]).benchmark_ground_truth()


def offset_rows(path: Path, ann: dict, shift: np.ndarray) -> dict:
    """The offsets and NMEs of one predictions file on all 2000 images (see
    the module doc)."""
    predictions = load_predictions(path)
    rows = select_aflw2000_subset(predictions['img_ids'])
    ids = predictions['img_ids'][rows]
    pred = predictions['pred_landmarks'][rows][..., :2].astype(np.float64)
    gt, yaw = ann['landmarks'][ids][..., :2], ann['yaw'][ids]
    diff = (pred - gt).reshape(-1, 2)
    as_is = summarize_by_yaw(aflw2000_landmark_nme(pred, gt), yaw)
    moved = summarize_by_yaw(aflw2000_landmark_nme(pred + shift, gt), yaw)
    return dict(
        mean=diff.mean(0),
        median=np.median(diff, 0),
        nme=(100 * as_is['all'], 100 * as_is['mean3']),
        shifted=(100 * moved['all'], 100 * moved['mean3']))


def main(argv=None) -> int:
    args = parse_args(argv)
    for path in args.predictions:
        if not Path(path).is_file():
            print(f'landmark_offsets.py: {path} does not exist',
                  file=sys.stderr)
            return 1
    ann = load_ground_truth(args.data_root, args.gt)
    shift = np.array(args.shift, dtype=np.float64)
    print(f'AFLW2000-3D, {args.gt} ground truth; offsets = prediction - '
          'ground truth, image pixels; NME % all / mean of 3')
    print(f'{"predictions":<32} {"mean dx, dy":>14} {"median dx, dy":>14} '
          f'{"NME":>13} {"NME, moved by (%g, %g)" % tuple(shift):>24}')
    for path in args.predictions:
        r = offset_rows(Path(path), ann, shift)
        print(f'{Path(path).name:<32} '
              f'{r["mean"][0]:>6.2f}, {r["mean"][1]:>5.2f}'
              f'  {r["median"][0]:>6.2f}, {r["median"][1]:>5.2f}'
              f'  {r["nme"][0]:>5.3f} / {r["nme"][1]:>5.3f}'
              f'  {r["shifted"][0]:>11.3f} / {r["shifted"][1]:>5.3f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
