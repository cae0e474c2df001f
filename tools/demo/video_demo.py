"""Reconstruct the faces of a video, or of a webcam, frame by frame.

    python tools/demo/video_demo.py INPUT --config CONFIG \\
        --checkpoint CHECKPOINT --out-dir DIR [--outputs ...]
        [--smooth ema|one_euro|none] [--max-frames N]

INPUT is a video file or a webcam index (``0``). Each frame goes through
:func:`mmface3d.apis.inference_model`; the params of each face are smoothed
over time (:class:`mmface3d.apis.ParamSmoother`: faces tracked by box
overlap, their image-frame params filtered) against the frame-to-frame
jitter of per-frame regression. Outputs, each optional (``--outputs``):
one video per drawing (``<name>_landmarks.mp4``, ``_pose``, ``_dense``,
``_mesh``, ``_depth``, ``_pncc``), ``<name>.jsonl`` (one JSON record per
frame: pose, boxes, landmarks, landmark-map source) and, with ``obj`` /
``ply``, the meshes of every ``--mesh-every``-th frame. A progress bar
counts the frames.
"""
import argparse
import json
import logging
from pathlib import Path

import cv2
from mmengine.logging import print_log
from tqdm import tqdm

from mmface3d.apis import (ParamSmoother, image_record, inference_model,
                           save_mesh)
from mmface3d.apis.demo_cli import (IMAGE_OUTPUTS, add_model_args,
                                    add_output_args, draw_outputs,
                                    model_from_args)
from mmface3d.utils import run_tool
from mmface3d.visualization import Face3DLocalVisualizer

DEFAULT_OUTPUTS = ('landmarks', 'mesh', 'json')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='3D face reconstruction of a video or webcam')
    parser.add_argument(
        'input', help='a video file, or a webcam index such as 0')
    add_model_args(parser)
    add_output_args(parser, DEFAULT_OUTPUTS)
    parser.add_argument(
        '--smooth',
        choices=['ema', 'one_euro', 'none'],
        default='one_euro',
        help='temporal smoothing of the params (default one_euro)')
    parser.add_argument(
        '--alpha', type=float, default=0.5,
        help='EMA weight of the new frame (--smooth ema)')
    parser.add_argument(
        '--min-cutoff', type=float, default=1.0,
        help='One-Euro minimum cut-off frequency, Hz')
    parser.add_argument(
        '--beta', type=float, default=0.05,
        help='One-Euro speed coefficient')
    parser.add_argument(
        '--max-frames', type=int, default=None,
        help='stop after this many frames (a webcam runs until then or '
        'Ctrl-C)')
    parser.add_argument(
        '--mesh-every', type=int, default=30,
        help='with obj / ply outputs: write the meshes of every n-th frame')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def open_capture(source: str):
    """(cv2.VideoCapture, name, frame count or None) of a file or a webcam
    index."""
    if source.isdigit():
        capture, name, total = cv2.VideoCapture(int(source)), \
            f'webcam{source}', None
    else:
        if not Path(source).is_file():
            raise FileNotFoundError(f'{source}: no such video file')
        capture, name = cv2.VideoCapture(source), Path(source).stem
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    if not capture.isOpened():
        raise OSError(f'{source}: cannot open the video (codec or device)')
    return capture, name, total


def main(argv=None) -> int:
    args = parse_args(argv)
    capture, name, total = open_capture(args.input)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    model = model_from_args(args)
    visualizer = Face3DLocalVisualizer(name='video_demo')
    smoother = None if args.smooth == 'none' else ParamSmoother(
        args.smooth, alpha=args.alpha, min_cutoff=args.min_cutoff,
        beta=args.beta, fps=fps)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawings = [o for o in args.outputs if o in IMAGE_OUTPUTS]
    writers = {}
    records = open(out_dir / f'{name}.jsonl', 'w') \
        if 'json' in args.outputs else None
    if args.max_frames is not None and total is not None:
        total = min(total, args.max_frames)
    progress = tqdm(total=total, desc='frames', unit='frame',
                    disable=args.no_progress)
    index = faces = 0
    try:
        while args.max_frames is None or index < args.max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            samples = inference_model(model, frame)
            if smoother is not None:
                smoother(model, samples)
            if not samples:
                print_log(f'{name} frame {index}: no face found',
                          logger='current', level=logging.DEBUG)
            for key, image in draw_outputs(frame, samples, drawings,
                                           visualizer).items() if samples \
                    else ((k, frame) for k in drawings):
                if key not in writers:
                    height, width = image.shape[:2]
                    writers[key] = cv2.VideoWriter(
                        str(out_dir / f'{name}_{key}.mp4'),
                        cv2.VideoWriter_fourcc(*'mp4v'), fps,
                        (width, height))
                writers[key].write(image)
            if records is not None:
                record = image_record(samples, None, frame.shape[:2])
                record.update(frame=index, image=f'{name}:{index}')
                records.write(json.dumps(record) + '\n')
            if index % args.mesh_every == 0:
                for suffix in ('obj', 'ply'):
                    if suffix in args.outputs:
                        for k, sample in enumerate(samples):
                            save_mesh(
                                out_dir /
                                f'{name}_{index:06d}_face{k}.{suffix}',
                                sample, frame)
            faces += len(samples)
            index += 1
            progress.update()
    except KeyboardInterrupt:
        print_log('interrupted', logger='current', level=logging.WARNING)
    finally:
        progress.close()
        capture.release()
        for writer in writers.values():
            writer.release()
        if records is not None:
            records.close()
    print(f'{index} frames, {faces} faces; outputs in {out_dir}')
    return 0


if __name__ == '__main__':
    run_tool(main)
