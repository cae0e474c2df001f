"""Draw two models' meshes side by side on the test set's large poses.

    python tools/analysis_tools/compare_overlays.py \\
        CONFIG_A CHECKPOINT_A CONFIG_B CHECKPOINT_B \\
        [--min-yaw 60] [--num 8] [--out large_pose_overlays.jpg]

The faces are the first ``--num`` images of model B's test set (its
``test_dataloader``, e.g. AFLW2000-3D) whose annotated |yaw|, wrapped into
[-180, 180), exceeds ``--min-yaw``, spread evenly over all such images.
Each face goes through both models' own test pipelines; each tile is
:class:`~mmface3d.visualization.Face3DLocalVisualizer`'s overlay (the
predicted mesh, the predicted 68 landmarks and pose axes, the ground-truth
landmarks, the crop outline) cut to the crop box, with the image's 68-point
2D NME (protocol of ``AFLW2000Metric``). The top row is model A (e.g. the
starting model), the bottom row model B.
"""
import argparse
from typing import List, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmface3d.evaluation.functional import aflw2000_landmark_nme
from mmface3d.utils import run_tool
from mmface3d.utils.checkpoint import load_model_weights

TILE = 240


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config_a', help='config of model A (top row)')
    parser.add_argument('checkpoint_a', help='weights of model A')
    parser.add_argument('config_b', help='config of model B (bottom row)')
    parser.add_argument('checkpoint_b', help='weights of model B')
    parser.add_argument(
        '--min-yaw', type=float, default=60.0,
        help='draw faces whose annotated |yaw| (degrees) exceeds this')
    parser.add_argument('--num', type=int, default=8, help='faces to draw')
    parser.add_argument(
        '--out', default='large_pose_overlays.jpg', help='output image')
    return parser.parse_args(argv)


def wrap_degrees(angle: float) -> float:
    """``angle`` in degrees wrapped into [-180, 180) (a few AFLW2000-3D fits
    store e.g. -351 for +9)."""
    return (angle + 180.0) % 360.0 - 180.0


def pick_faces(dataset, min_yaw: float, num: int) -> List[int]:
    """``num`` dataset indices with |yaw| > ``min_yaw`` (wrapped into
    [-180, 180)), spread evenly."""
    large = [
        i for i in range(len(dataset))
        if abs(wrap_degrees(dataset.get_data_info(i)['yaw'])) > min_yaw
    ]
    if len(large) < num:
        raise ValueError(f'only {len(large)} test images have |yaw| > '
                         f'{min_yaw}, {num} asked for')
    return [large[round(k * len(large) / num)] for k in range(num)]


def predict(config: str, checkpoint: str,
            indices: Sequence[int]) -> Tuple[list, object]:
    """The test-step outputs of one model on ``indices`` of its test set,
    and that dataset."""
    from mmface3d.registry import DATASETS, MODELS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmface3d'))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    model = MODELS.build(cfg.model)
    load_model_weights(model, checkpoint)
    model.eval()
    with torch.no_grad():
        outputs = model.test_step(
            pseudo_collate([dataset[i] for i in indices]))
    return outputs, dataset


def draw_tile(visualizer, dataset, sample) -> np.ndarray:
    """The overlay of one sample cut to its crop box, TILE x TILE, with its
    NME written in the corner."""
    meta = sample.metainfo
    image = dataset.original_image(meta['img_id'], meta['img_path'])
    drawn = visualizer.add_datasample('overlay', image, sample)
    sx, sy, ex, ey = np.round(np.asarray(meta['roi_box'])).astype(int)
    height, width = drawn.shape[:2]
    pad = max(0, -sx, -sy, ex - width, ey - height)
    padded = cv2.copyMakeBorder(drawn, pad, pad, pad, pad,
                                cv2.BORDER_CONSTANT)
    tile = cv2.resize(padded[sy + pad:ey + pad, sx + pad:ex + pad],
                      (TILE, TILE), interpolation=cv2.INTER_AREA)
    gt = np.asarray(sample.gt_landmarks_img, dtype=np.float64)[None]
    pred = sample.pred_landmarks.detach().cpu().double().numpy()[None]
    nme = 100 * aflw2000_landmark_nme(pred, gt)[0]
    label = f'{meta.get("yaw", float("nan")):+.0f} deg  NME {nme:.2f}%'
    cv2.putText(tile, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def main(argv=None) -> None:
    args = parse_args(argv)
    from mmface3d.registry import DATASETS
    from mmface3d.visualization import Face3DLocalVisualizer
    init_default_scope('mmface3d')
    cfg_b = Config.fromfile(args.config_b)
    indices = pick_faces(
        DATASETS.build(cfg_b.test_dataloader.dataset), args.min_yaw,
        args.num)
    visualizer = Face3DLocalVisualizer(name='compare_overlays')
    rows = []
    for config, checkpoint in ((args.config_a, args.checkpoint_a),
                               (args.config_b, args.checkpoint_b)):
        outputs, dataset = predict(config, checkpoint, indices)
        rows.append(
            np.concatenate(
                [draw_tile(visualizer, dataset, s) for s in outputs], 1))
    grid = np.concatenate(rows, 0)
    if not cv2.imwrite(args.out, grid):
        raise OSError(f'{args.out}: could not write the image')
    print(f'{args.out}: {len(indices)} faces (dataset indices {indices}), '
          f'top {args.checkpoint_a}, bottom {args.checkpoint_b}')


if __name__ == '__main__':
    run_tool(main)
