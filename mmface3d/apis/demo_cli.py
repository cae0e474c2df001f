"""Command line and outputs shared by the demos (``tools/demo/``)."""
import argparse
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import cv2
import mmcv
import numpy as np

from mmface3d.structures import Face3DDataSample
from .face_outputs import (draw_dense, draw_landmarks, draw_pose_axes,
                           image_record, render_faces, save_mesh, write_json)
from .inference import init_model

# output name -> what it is
OUTPUTS = {
    'landmarks': '68 landmarks over the image (<name>_landmarks.png)',
    'pose': 'head-pose axes and face boxes (<name>_pose.png)',
    'dense': 'dense alignment, every 6th vertex (<name>_dense.png)',
    'mesh': 'shaded mesh rendered over the image (<name>_mesh.png)',
    'depth': 'depth map (<name>_depth.png)',
    'pncc': 'PNCC map (<name>_pncc.png)',
    'obj': 'mesh with colours from the image (<name>_face<k>.obj)',
    'ply': 'the same as binary .ply (<name>_face<k>.ply)',
    'json': 'pose, box, landmarks, landmark-map source (<name>.json)',
}
DEFAULT_OUTPUTS = ('landmarks', 'pose', 'dense', 'mesh', 'depth', 'pncc',
                   'obj', 'json')
IMAGE_OUTPUTS = ('landmarks', 'pose', 'dense', 'mesh', 'depth', 'pncc')


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """The model, detector, landmark-map and backend options."""
    parser.add_argument('--config', required=True, help='model config')
    parser.add_argument(
        '--checkpoint', required=True, help='model weights (converted)')
    parser.add_argument('--device', default='cpu', help='torch device')
    parser.add_argument(
        '--detector',
        default='faceboxes',
        help='face detector: faceboxes, dlib (HOG) or s3fd, or a registered '
        'type name')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=None,
        help="the detector's score threshold (default: its own)")
    parser.add_argument(
        '--largest-face',
        action='store_true',
        help='keep only the largest face of each image')
    parser.add_argument(
        '--landmark-source',
        default=None,
        help='landmark map of 4-channel models: dlib (default), fan, '
        'bootstrap[:ROUNDS] or file:LANDMARK_LIST')
    parser.add_argument(
        '--refine',
        type=int,
        default=1,
        help='extra passes cropping again around the predicted landmarks '
        '(default 1)')
    parser.add_argument(
        '--backend',
        choices=['torch', 'onnxruntime'],
        default='torch',
        help='network backend (decoding is torch either way)')
    parser.add_argument(
        '--onnx',
        help='network exported by tools/deployment/export_onnx.py, for '
        '--backend onnxruntime')
    parser.add_argument(
        '--trust-checkpoint',
        action='append',
        default=[],
        metavar='FILE',
        help='allow full unpickling of this checkpoint (only files you '
        'trust; see docs/trust.md)')


def add_output_args(parser: argparse.ArgumentParser,
                    default: Sequence[str] = DEFAULT_OUTPUTS) -> None:
    """``--out-dir`` and ``--outputs``."""
    parser.add_argument(
        '--out-dir', required=True, help='folder the outputs go to')
    parser.add_argument(
        '--outputs',
        nargs='+',
        choices=sorted(OUTPUTS),
        default=list(default),
        metavar='OUTPUT',
        help='what to write, any of: ' + '; '.join(
            f'{k}: {v}' for k, v in OUTPUTS.items()) +
        f' (default: {" ".join(default)})')


def model_from_args(args: argparse.Namespace):
    """:func:`init_model` from the options of :func:`add_model_args`."""
    from mmface3d.utils.checkpoint import trust_checkpoint
    for filename in args.trust_checkpoint:
        trust_checkpoint(filename)
    detector = dict(type=args.detector) if args.detector else None
    if detector is not None:
        from .inference import DETECTORS
        detector['type'] = DETECTORS.get(args.detector.lower(),
                                         args.detector)
        if args.score_thr is not None:
            detector['score_thr'] = args.score_thr
        if args.largest_face:
            detector['largest_only'] = True
    return init_model(
        args.config,
        args.checkpoint,
        device=args.device,
        detector=detector,
        landmark_source=args.landmark_source,
        backend=args.backend,
        onnx_file=args.onnx,
        refine=args.refine)


def draw_outputs(image: np.ndarray, samples: List[Face3DDataSample],
                 outputs: Sequence[str],
                 visualizer) -> Dict[str, np.ndarray]:
    """The image outputs among ``outputs``: name -> (H, W, 3) BGR uint8."""
    drawn = {}
    if 'landmarks' in outputs:
        drawn['landmarks'] = draw_landmarks(image, samples, visualizer,
                                            with_axes=False)
    if 'pose' in outputs:
        pose = np.ascontiguousarray(image).copy()
        for sample in samples:
            box = np.round(sample.bbox[:4].cpu().numpy()).astype(int)
            cv2.rectangle(pose, tuple(box[:2].tolist()),
                          tuple(box[2:].tolist()), (255, 255, 0), 2)
            draw_pose_axes(pose, sample, visualizer)
        drawn['pose'] = pose
    if 'dense' in outputs:
        drawn['dense'] = draw_dense(image, samples)
    for mode in ('mesh', 'depth', 'pncc'):
        if mode in outputs:
            drawn[mode] = render_faces(
                image, samples, 'shaded' if mode == 'mesh' else mode,
                visualizer)
    return drawn


def write_outputs(out_dir: Path, stem: str, image: np.ndarray,
                  samples: List[Face3DDataSample], outputs: Sequence[str],
                  visualizer, img_path: Optional[str] = None,
                  landmark_source: Optional[str] = None) -> List[Path]:
    """Write an image's outputs as ``out_dir/<stem>_<output>.png``,
    ``<stem>_face<k>.obj`` / ``.ply`` and ``<stem>.json``; returns the
    files written (the JSON, with an empty face list, even without a
    face)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if samples:
        for name, drawing in draw_outputs(image, samples, outputs,
                                          visualizer).items():
            path = out_dir / f'{stem}_{name}.png'
            mmcv.imwrite(drawing, str(path))
            written.append(path)
        for suffix in ('obj', 'ply'):
            if suffix in outputs:
                for k, sample in enumerate(samples):
                    written.append(
                        save_mesh(out_dir / f'{stem}_face{k}.{suffix}',
                                  sample, image))
    if 'json' in outputs:
        written.append(
            write_json(
                out_dir / f'{stem}.json',
                image_record(samples, img_path, image.shape[:2],
                             landmark_source)))
    return written
