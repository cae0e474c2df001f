"""Label a face dataset with a teacher model's params (pseudo ground truth).

    python tools/dataset_converters/make_pseudo_labels.py \\
        TEACHER_CONFIG TEACHER_CHECKPOINT OUT.npy \\
        [--ann-file aflw_itw/annotations/AFLW_GT_crop.list] \\
        [--img-prefix aflw_itw/AFLW_GT_crop] [--batch-size 64]

Runs the teacher (e.g. the converted 3DDFA_V2 MobileNetV1-0.5 with
``configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py``) over an AFLW21Dataset
list with the teacher's test pipeline and writes, one row per list entry,
the params of each face in the listed image's frame
(:meth:`MorphableModel.image_params`, the teacher's params convention).
``AFLW21Dataset(pseudo_params=OUT.npy, params_convention=...)`` then gives
them to training as ``gt_params_img``: the 3D stream of the in-the-wild
photos (docs/datasets.md).
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from tqdm import tqdm

from mmface3d.registry import DATASETS, MODELS
from mmface3d.utils import run_tool
from mmface3d.utils.checkpoint import load_model_weights


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help="the teacher's config")
    parser.add_argument('checkpoint', help="the teacher's checkpoint")
    parser.add_argument('out', help='output .npy (N, P) float32')
    parser.add_argument(
        '--ann-file', default='aflw_itw/annotations/AFLW_GT_crop.list')
    parser.add_argument('--img-prefix', default='aflw_itw/AFLW_GT_crop')
    parser.add_argument('--batch-size', type=int, default=64)
    return parser.parse_args()


def pseudo_labels(model, dataset, batch_size: int) -> np.ndarray:
    """(N, P) float32 image-frame params of every sample, by ``img_id``:
    one row per list entry, NaN where the dataset skipped the entry (the
    last ones included)."""
    mm = model.morphable_model
    out = np.full((len(dataset.read_image_list()), mm.num_params), np.nan,
                  dtype=np.float32)
    with torch.no_grad():
        for start in tqdm(range(0, len(dataset), batch_size), desc='label'):
            batch = pseudo_collate([
                dataset[i]
                for i in range(start, min(start + batch_size, len(dataset)))
            ])
            samples = model.test_step(batch)
            params = torch.stack([s.pred_params for s in samples])
            affine = torch.stack([
                torch.as_tensor(s.metainfo['crop_affine']) for s in samples
            ]).to(params)
            image, mirrored = mm.image_params(params, affine)
            if mirrored.any():
                raise ValueError('the teacher pipeline mirrors crops; '
                                 'pseudo-labels need unmirrored ones')
            ids = [s.metainfo['img_id'] for s in samples]
            out[ids] = image.numpy()
    return out


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    init_default_scope('mmface3d')
    model = MODELS.build(cfg.model)
    load_model_weights(model, args.checkpoint)
    model.eval()
    pipeline = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] != 'LoadFaceImage'
    ]
    dataset = DATASETS.build(
        dict(
            type='AFLW21Dataset',
            ann_file=args.ann_file,
            data_prefix=dict(img_path=args.img_prefix),
            test_mode=True,
            pipeline=[dict(type='LoadFaceImage')] + pipeline))
    labels = pseudo_labels(model, dataset, args.batch_size)
    missing = np.flatnonzero(np.isnan(labels).any(1))
    if missing.size:
        raise ValueError(f'{missing.size} listed faces got no label (e.g. '
                         f'rows {missing[:5].tolist()}): they were skipped '
                         'by the dataset, see its warnings')
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, labels)
    print(f'wrote {args.out}: {labels.shape} params of '
          f'{cfg.model.head.morphable_model.get("convention", "v1")} '
          'convention')


if __name__ == '__main__':
    run_tool(main)
