"""Draw the samples of a dataset config into one grid image.

Each sample goes through its dataset's pipeline except the input
normalisation and packing (``NormalizeFace``, ``PackFace3DInputs``), so the
tiles show the network's crop as uint8 BGR with the annotations in the crop
frame: the 68 ground-truth landmarks (green), the 2D detector points that
feed the landmark map (red, when they differ from the ground truth) and the
+1 pixels of the facial landmark map (yellow squares), when the pipeline
draws one. Samples are spread evenly over the dataset (for a
``MixedFaceDataset``, over all its members).

Example::

    python tools/misc/browse_dataset.py \\
        configs/_base_/datasets/synthetic_faces.py --n 16 --out grid.png
"""
import argparse
import bisect
import math
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from mmface3d.datasets.transforms.visibility import read_visibility

GT_COLOR = (0, 255, 0)
INPUT_COLOR = (0, 0, 255)
MAP_COLOR = (0, 255, 255)
# Transforms left out: they turn the crop into the network's float input.
SKIPPED = ('NormalizeFace', 'PackFace3DInputs')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw dataset samples with their landmarks into a grid '
        'PNG.')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--phase',
        choices=['train', 'val', 'test'],
        default='train',
        help='which dataloader of the config to browse')
    parser.add_argument(
        '--n', type=int, default=16, help='number of samples to draw')
    parser.add_argument('--out', default='grid.png', help='output PNG file')
    parser.add_argument(
        '--scale',
        type=int,
        default=3,
        help='each crop is enlarged this many times (nearest neighbour)')
    parser.add_argument(
        '--pixel-origin',
        type=float,
        default=1.0,
        help='landmark coordinate of the centre of pixel (0, 0): 1 for the '
        '1-based frames of AFLW2000-3D / 3DDFA v1 params, 0 for 3DDFA_V2')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        metavar='KEY=VALUE',
        help='override config keys, e.g. '
        'train_dataloader.dataset.datasets.0.length=100')
    return parser.parse_args(argv)


def leaf_sample(dataset, index: int) -> Tuple[object, int]:
    """The innermost dataset holding global ``index``, and its local index.

    Follows concatenations (``cumulative_sizes``) and repeats (``times``).
    """
    while True:
        if hasattr(dataset, 'cumulative_sizes'):
            member = bisect.bisect_right(dataset.cumulative_sizes, index)
            start = dataset.cumulative_sizes[member - 1] if member else 0
            dataset, index = dataset.datasets[member], index - start
        elif hasattr(dataset, 'times') and hasattr(dataset, 'dataset'):
            index = index % (len(dataset) // dataset.times)
            dataset = dataset.dataset
        else:
            return dataset, index


def prepare_sample(dataset, index: int) -> dict:
    """Run the pipeline of sample ``index`` without normalisation and
    packing."""
    leaf, local = leaf_sample(dataset, index)
    results = leaf.get_data_info(local)
    for transform in leaf.pipeline.transforms:
        if type(transform).__name__ in SKIPPED:
            continue
        results = transform(results)
        if results is None:
            raise RuntimeError(f'{type(transform).__name__} dropped sample '
                               f'{index} ({leaf.get_data_info(local)})')
    return results


def _pixel(points: np.ndarray, scale: int, origin: float) -> np.ndarray:
    """Landmark coordinates -> pixel centres of the enlarged tile."""
    return np.round((points - origin) * scale + (scale - 1) / 2).astype(int)


def _visible_points(results: dict, key: str) -> Optional[np.ndarray]:
    """(K', 2) points of ``key`` without the rows its mask hides."""
    if key not in results:
        return None
    points = np.asarray(results[key])[:, :2]
    visible = read_visibility(results, key)
    return points if visible is None else points[visible]


def draw_sample(results: dict, scale: int, origin: float) -> np.ndarray:
    """One enlarged BGR tile with the sample's annotations drawn on it."""
    img = np.asarray(results['img'])
    if img.ndim == 2:
        img = img[:, :, None]
    img = np.clip(img[:, :, :3], 0, 255).astype(np.uint8)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    height, width = img.shape[:2]
    tile = cv2.resize(
        img, (width * scale, height * scale),
        interpolation=cv2.INTER_NEAREST)
    if 'landmark_map' in results:
        rows, cols = np.nonzero(np.asarray(results['landmark_map']) > 0)
        for r, c in zip(rows * scale, cols * scale):
            cv2.rectangle(tile, (int(c), int(r)),
                          (int(c) + scale - 1, int(r) + scale - 1), MAP_COLOR,
                          1)
    gt = _visible_points(results, 'gt_landmarks_2d')
    detected = _visible_points(results, 'landmarks_2d_input')
    layers: List[Tuple[np.ndarray, Tuple[int, int, int]]] = []
    if detected is not None and (gt is None or detected.shape != gt.shape
                                 or not np.allclose(detected, gt)):
        layers.append((detected, INPUT_COLOR))
    if gt is not None:
        layers.append((gt, GT_COLOR))
    radius = scale // 2 + 1
    for points, color in layers:
        for x, y in _pixel(points, scale, origin):
            cv2.circle(tile, (int(x), int(y)), radius, color, -1)
    caption = str(results.get('img_path', ''))[-24:]
    if 'yaw' in results:
        caption += f' yaw {float(results["yaw"]):.0f}'
    cv2.putText(tile, caption, (2, tile.shape[0] - 4),
                cv2.FONT_HERSHEY_SIMPLEX, 0.3 * scale / 3 + 0.1,
                (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def make_grid(tiles: List[np.ndarray]) -> np.ndarray:
    """Tiles (padded to the largest) in a near-square grid."""
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    height = max(t.shape[0] for t in tiles)
    width = max(t.shape[1] for t in tiles)
    grid = np.zeros((rows * height, cols * width, 3), dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        grid[r * height:r * height + tile.shape[0],
             c * width:c * width + tile.shape[1]] = tile
    return grid


def browse(cfg: Config, phase: str, num: int, scale: int,
           origin: float) -> np.ndarray:
    """Build the ``phase`` dataset of ``cfg`` and draw ``num`` samples."""
    from mmface3d.registry import DATASETS
    key = f'{phase}_dataloader'
    if key not in cfg or 'dataset' not in cfg[key]:
        raise KeyError(f'the config has no {key}.dataset')
    dataset = DATASETS.build(cfg[key]['dataset'])
    if len(dataset) == 0:
        raise ValueError(f'the {phase} dataset is empty')
    if num < 1:
        raise ValueError(f'--n must be >= 1, got {num}')
    indices = np.unique(
        np.linspace(0, len(dataset) - 1, min(num, len(dataset))).round())
    tiles = [
        draw_sample(prepare_sample(dataset, int(i)), scale, origin)
        for i in indices
    ]
    return make_grid(tiles)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmface3d'))
    grid = browse(cfg, args.phase, args.n, args.scale, args.pixel_origin)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), grid):
        raise OSError(f'could not write {out}')
    print(f'wrote {out} ({grid.shape[1]}x{grid.shape[0]})')


if __name__ == '__main__':
    main()
