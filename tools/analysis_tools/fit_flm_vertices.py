"""Find the mesh vertices that best stand for AFLW's manual landmarks.

    python tools/analysis_tools/fit_flm_vertices.py PSEUDO_PARAMS.npy \\
        [--split-start 1000] [--out work_dirs/aflw_itw/flm_vertices.json]

AFLW's 21 manual points do not follow the 68-point definitions (on
AFLW2000-3D the two disagree by 2.59 % NME, the nose wings by about 2.8 % of
the face sideways). Supervising the 68-point landmarks with them would pull
the face towards AFLW's definitions, away from the benchmark's. This tool
finds, for each of the 18 landmark-map points, the vertex of the teacher's
morphable model (3DDFA_V2's no-neck BFM) whose projection under the
teacher's params (``make_pseudo_labels.py``) lies closest to the manual
point on average over the training faces (``--split-start`` on: the first
faces are the validation split), distances normalised by each face's size
(sqrt of the area of its 68-landmark box), and keeps the 68-point
definition (the midpoint of its two keypoint vertices) where that is closer
(the mouth centre follows the lips' opening, which no single vertex does).
The manual points are taken in the teacher's pixel convention (0-based for
'v2', ``AFLW21Dataset(pixel_origin=...)``), so that the fit does not absorb
the files' 1-based offset into the choice of vertices.
It prints both errors per point and writes the (18, 2) vertex pairs (a
point is the midpoint of its pair) for ``TwoDASL(flm_vertex_ids=...)``.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from mmengine.registry import init_default_scope

from mmface3d.datasets import AFLW21Dataset
from mmface3d.morphable import (AFLW21_FROM_FLM, FLM_INDICES, MorphableModel,
                                pixel_origin, select_flm_points)
from mmface3d.utils import run_tool

TEACHER = dict(
    model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2',
    param_stats=None,
    convention='v2')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pseudo_params', help='(N, 62) teacher params .npy')
    parser.add_argument(
        '--ann-file', default='aflw_itw/annotations/AFLW_GT_crop.list')
    parser.add_argument('--img-prefix', default='aflw_itw/AFLW_GT_crop')
    parser.add_argument(
        '--split-start', type=int, default=1000,
        help='first list row of the training split (rows before it are '
        'the validation split and are not used)')
    parser.add_argument('--chunk', type=int, default=64)
    parser.add_argument('--out', default='work_dirs/aflw_itw/'
                        'flm_vertices.json')
    return parser.parse_args()


def fit_vertices(model: MorphableModel, params: torch.Tensor,
                 points: torch.Tensor, visible: torch.Tensor,
                 chunk: int = 64):
    """Per map point, the vertex with the least mean normalised distance.

    Args:
        model (MorphableModel): The params' model.
        params (Tensor): (N, P) raw params of the faces (their image frame).
        points (Tensor): (N, 18, 2) manual map points, same frame.
        visible (Tensor): (N, 18) bool.
        chunk (int): Faces per step.

    Returns:
        tuple: (18,) vertex ids, (18,) their mean normalised error and (18,)
        the mean normalised error of the 68-point definitions.
    """
    sums = torch.zeros(points.shape[1], model.num_vertices,
                       dtype=torch.float64)
    flm_sums = torch.zeros(points.shape[1], dtype=torch.float64)
    counts = visible.sum(0).double()
    for start in range(0, len(params), chunk):
        part = slice(start, start + chunk)
        with torch.no_grad():
            vertices = model.reconstruct(params[part])[:, :2]  # (b, 2, N)
            landmarks = model.landmarks(params[part])[:, :2]
        box = landmarks.amax(2) - landmarks.amin(2)
        size = box.prod(1).sqrt()[:, None]  # (b, 1)
        flm = select_flm_points(landmarks.transpose(1, 2))
        mask = visible[part].double()
        flm_sums += ((flm - points[part]).norm(dim=2) / size *
                     mask).sum(0).double()
        for k in range(points.shape[1]):
            dist = (vertices - points[part, k, :, None]).norm(dim=1) / size
            sums[k] += (dist.double() * mask[:, k:k + 1]).sum(0)
    mean = sums / counts[:, None]
    best = mean.argmin(1)
    return best, mean.gather(1, best[:, None])[:, 0], flm_sums / counts


def choose_pairs(model: MorphableModel, ids: torch.Tensor,
                 error: torch.Tensor, flm_error: torch.Tensor) -> list:
    """(18, 2) vertex pairs: the fitted vertex twice, or the 68-point
    definition's two keypoint vertices where those are closer."""
    definition = model.keypoints[torch.from_numpy(FLM_INDICES)]
    return [[int(d) for d in definition[k]] if flm_error[k] < error[k] else
            [int(ids[k])] * 2 for k in range(len(ids))]


def main():
    args = parse_args()
    init_default_scope('mmface3d')
    dataset = AFLW21Dataset(
        ann_file=args.ann_file,
        data_prefix=dict(img_path=args.img_prefix),
        input_from_annotation=True,
        pseudo_params=args.pseudo_params,
        params_convention=TEACHER['convention'],
        pixel_origin=pixel_origin(TEACHER['convention']),
        pipeline=[])
    infos = [
        dataset.get_data_info(i) for i in range(len(dataset))
        if dataset.get_data_info(i)['img_id'] >= args.split_start
    ]
    if not infos:
        raise ValueError(f'{args.ann_file}: no face at list rows >= '
                         f'{args.split_start} (--split-start)')
    rows = [k for k in range(21) if AFLW21_FROM_FLM[k] is not None]
    params = torch.from_numpy(np.stack([i['gt_params_img'] for i in infos]))
    points = torch.from_numpy(
        np.stack([i['gt_landmarks_2d'][rows] for i in infos]))
    visible = torch.from_numpy(
        np.stack([i['gt_landmarks_visible'][rows] for i in infos]))
    unseen = (~visible.any(0)).nonzero()[:, 0].tolist()
    if unseen:
        # their mean error would be 0 / 0: NaN, and vertex 0 "the best"
        raise ValueError(
            f'map points {unseen} are annotated on none of the '
            f'{len(infos)} faces at list rows >= {args.split_start} of '
            f'{args.ann_file}: fit on more faces')
    model = MorphableModel(**TEACHER)
    ids, error, flm_error = fit_vertices(model, params, points, visible,
                                         args.chunk)
    pairs = choose_pairs(model, ids, error, flm_error)
    print(f'{len(infos)} training faces (list rows >= {args.split_start})')
    print('| map point | best vertex | its mean error (%) | 68-point '
          'definition (%) | kept |')
    print('|---:|---:|---:|---:|---|')
    for k in range(len(ids)):
        kept = 'vertex' if pairs[k][0] == pairs[k][1] else 'definition'
        print(f'| {k} | {int(ids[k])} | {100 * error[k]:.2f} | '
              f'{100 * flm_error[k]:.2f} | {kept} |')
    best = torch.minimum(error, flm_error)
    print(f'| mean | | {100 * error.mean():.2f} | '
          f'{100 * flm_error.mean():.2f} | {100 * best.mean():.2f} |')
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            dict(
                flm_vertex_ids=pairs,
                mean_error=[float(e) for e in error],
                flm_definition_error=[float(e) for e in flm_error],
                faces=len(infos),
                split_start=args.split_start),
            indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    run_tool(main)
