"""Measure the inference path on AFLW2000-3D: detection rate, accuracy with
detected boxes, speed of the torch and onnxruntime backends, peak memory.

    python tools/analysis_tools/benchmark_inference.py CONFIG CHECKPOINT
        [--parts detection accuracy speed memory] [--num-detection 2000]
        [--num-accuracy 200] [--onnx FILE]

Parts (each prints a markdown table for docs/benchmarks.md):

- ``detection``: FaceBoxes on the first ``--num-detection`` images. The
  annotated face counts as found when a kept box, turned into a crop box by
  the detector crop rule (:func:`~mmface3d.morphable.detector_roi_box`) and
  clipped to the image as the released boxes are, has IoU >= 0.5 with the
  benchmark's crop box (``AFLW2000-3D_crop.roi_box.npy``, the 68-point
  square x sqrt(2)): crop box against crop box, like with like. Also shown:
  the raw detector box against the tight 68-point box (a detector box spans
  forehead to chin, the 68 points brows to chin, so this IoU is lower by
  construction).
- ``accuracy``: ``--num-accuracy`` images spread evenly over the list, run
  end to end by :func:`~mmface3d.apis.inference_model` with FaceBoxes
  boxes (the detection matching the annotated face; an image where none
  does counts as a miss), for ``refine`` 0 and 1: the share of images whose
  yaw is within 10 degrees of ``AFLW2000-3D.pose.npy`` and the 68-point 2D
  NME (benchmark normaliser) against the same images cropped with the
  benchmark's boxes.
- ``speed``: faces / s end to end (JPEG decode, detection, crop, network,
  decoding of params, landmarks, pose and dense mesh) with each backend,
  and the network alone at batch 1, median of repeats after a warm-up, in
  one process.
- ``memory``: peak resident memory of ``tools/demo/image_demo.py`` with all
  outputs on a 4000x3000 photo (an AFLW2000-3D image enlarged), in a
  subprocess.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from mmface3d.apis import (OnnxRegressor, export_regressor_onnx,
                           inference_model, init_model)
from mmface3d.models.detectors import FaceBoxes, box_iou
from mmface3d.morphable import detector_roi_box
from mmface3d.utils import get_data_root, median_time, run_tool

ANN = 'aflw2000_3d/annotations'
PARTS = ('detection', 'accuracy', 'speed', 'memory')
REPO = Path(__file__).resolve().parents[2]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Benchmark the inference path on AFLW2000-3D')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='model weights')
    parser.add_argument('--parts', nargs='+', choices=PARTS,
                        default=list(PARTS))
    parser.add_argument('--num-detection', type=int, default=2000)
    parser.add_argument('--num-accuracy', type=int, default=200)
    parser.add_argument('--score-thr', type=float, default=0.5,
                        help='FaceBoxes score threshold')
    parser.add_argument('--upscale', action='store_true',
                        help='FaceBoxes enlarges images to 720x1080')
    parser.add_argument('--onnx', help='exported network (default: export '
                        'to a temporary file)')
    parser.add_argument('--num-speed', type=int, default=20,
                        help='images of the end-to-end speed runs')
    parser.add_argument('--repeats', type=int, default=30)
    return parser.parse_args(argv)


def load_annotations() -> dict:
    root = get_data_root()
    ann = root / ANN
    names = (ann / 'AFLW2000-3D.list').read_text().split()
    return dict(
        img_dir=root / 'aflw2000_3d/AFLW2000',
        names=names,
        roi_box=np.load(ann / 'AFLW2000-3D_crop.roi_box.npy').astype(
            np.float64),
        pts68=np.load(ann / 'AFLW2000-3D.pts68.npy').astype(np.float64),
        yaw=np.load(ann / 'AFLW2000-3D.pose.npy').astype(np.float64))


def crop_ious(boxes: np.ndarray, roi_box: np.ndarray, width: int,
              height: int) -> np.ndarray:
    """(N,) IoU of the clipped crop boxes of detector boxes with a
    released crop box."""
    crops = np.clip(detector_roi_box(boxes), 1,
                    [width, height, width, height])
    return box_iou(torch.from_numpy(crops),
                   torch.from_numpy(roi_box[None]))[:, 0].numpy()


def detection(args, ann) -> None:
    detector = FaceBoxes(score_thr=args.score_thr, upscale=args.upscale)
    num = min(args.num_detection, len(ann['names']))
    found = found_tight = 0
    best_iou, start = [], time.perf_counter()
    for i in range(num):
        img = cv2.imread(str(ann['img_dir'] / ann['names'][i]))
        boxes = detector.detect(img).astype(np.float64)
        if not len(boxes):
            best_iou.append(0.0)
            continue
        height, width = img.shape[:2]
        iou = crop_ious(boxes, ann['roi_box'][i], width, height)
        best_iou.append(iou.max())
        found += iou.max() >= 0.5
        points = ann['pts68'][i, :2]
        tight = np.concatenate([points.min(1), points.max(1)])[None]
        found_tight += box_iou(torch.from_numpy(boxes),
                               torch.from_numpy(tight)).max() >= 0.5
    seconds = time.perf_counter() - start
    print(f'\n### Detection: FaceBoxes (score >= {args.score_thr}'
          f'{", upscaled to 720x1080" if args.upscale else ""}) on '
          f'{num} AFLW2000-3D images\n')
    print('| measure | images | rate |')
    print('|---|---:|---:|')
    print(f'| crop box of a detection vs benchmark crop box, IoU >= 0.5 | '
          f'{found} | {100 * found / num:.2f} % |')
    print(f'| detector box vs tight 68-point box, IoU >= 0.5 | '
          f'{found_tight} | {100 * found_tight / num:.2f} % |')
    print(f'\nmedian best crop IoU {np.median(best_iou):.3f}; '
          f'{seconds / num * 1000:.0f} ms / image')


def nme_2d(pred: np.ndarray, points: np.ndarray) -> float:
    """68-point 2D NME of one image (benchmark normaliser)."""
    size = points.max(1) - points.min(1)
    error = np.linalg.norm(pred[:, :2] - points.T, axis=1).mean()
    return error / np.sqrt(size[0] * size[1])


def accuracy(args, model, ann) -> None:
    ids = np.linspace(0, len(ann['names']) - 1,
                      args.num_accuracy).round().astype(int)
    detector = FaceBoxes(score_thr=args.score_thr, upscale=args.upscale)
    rows = {0: ([], []), 1: ([], [])}
    reference, missed = [], 0
    for i in ids:
        path = str(ann['img_dir'] / ann['names'][i])
        img = cv2.imread(path)
        points = ann['pts68'][i, :2]
        ref = inference_model(model, path, roi_boxes=ann['roi_box'][i])[0]
        reference.append(nme_2d(ref.pred_landmarks.numpy(), points))
        boxes = detector.detect(img).astype(np.float64)
        iou = crop_ious(boxes, ann['roi_box'][i], img.shape[1],
                        img.shape[0]) if len(boxes) else np.zeros(0)
        if not len(iou) or iou.max() < 0.5:
            missed += 1
            for yaws, errors in rows.values():
                yaws.append(False)
                errors.append(np.nan)
            continue
        box = boxes[[int(iou.argmax())]]
        for refine, (yaws, errors) in rows.items():
            face = inference_model(model, path, bboxes=box,
                                   refine=refine)[0]
            yaws.append(abs(face.pred_pose[0].item() - ann['yaw'][i]) <= 10)
            errors.append(nme_2d(face.pred_landmarks.numpy(), points))
    num = len(ids)
    found = ~np.isnan(rows[0][1])
    print(f'\n### Accuracy with FaceBoxes boxes: {num} AFLW2000-3D images '
          f'(every {len(ann["names"]) / num:.0f}th), {model.cfg.filename}'
          '\n')
    print('| crop | yaw within 10 deg | NME 2D 68 pts (%), found faces | '
          'same images, benchmark boxes |')
    print('|---|---:|---:|---:|')
    for refine, (yaws, errors) in rows.items():
        label = 'detector box' + (', refined once' if refine else '')
        print(f'| {label} | {100 * np.mean(yaws):.1f} % | '
              f'{100 * np.nanmean(errors):.2f} | '
              f'{100 * np.mean(np.asarray(reference)[found]):.2f} |')
    print(f'\n{missed} of {num} images without a detection of the '
          'annotated face (counted as yaw misses); NME over all '
          f'{num} with benchmark boxes: {100 * np.mean(reference):.2f}')


def speed(args, model, ann) -> None:
    onnx_file = args.onnx
    if onnx_file is None:
        onnx_file = str(Path(tempfile.mkdtemp()) / 'regressor.onnx')
        export_regressor_onnx(model, onnx_file)
    paths = [str(ann['img_dir'] / n) for n in ann['names'][:args.num_speed]]
    rows = []
    for backend in ('torch', 'onnxruntime'):
        def run():
            return sum(
                len(inference_model(model, p, backend=backend,
                                    onnx_file=onnx_file, refine=0))
                for p in paths)
        faces = run()
        seconds = median_time(run, max(3, args.repeats // 10), warmup=1)
        rows.append((f'end to end, {backend}', faces / seconds,
                     seconds / faces * 1000))
    channels = model.data_preprocessor.num_channels
    inputs = torch.randn(1, channels, 120, 120)
    session = OnnxRegressor(onnx_file)
    with torch.no_grad():
        torch_s = median_time(lambda: model(inputs, mode='tensor'),
                              args.repeats, warmup=5)
    ort_s = median_time(lambda: session(inputs), args.repeats, warmup=5)
    rows.append(('network alone, batch 1, torch', 1 / torch_s,
                 torch_s * 1000))
    rows.append(('network alone, batch 1, onnxruntime', 1 / ort_s,
                 ort_s * 1000))
    print(f'\n### Speed: {model.cfg.filename}, {torch.get_num_threads()} '
          'torch threads\n')
    print('| measure | faces / s | ms / face |')
    print('|---|---:|---:|')
    for name, rate, ms in rows:
        print(f'| {name} | {rate:.1f} | {ms:.2f} |')
    print(f'\nonnxruntime / torch, network at batch 1: '
          f'{torch_s / ort_s:.2f}x')


def memory(args, ann) -> None:
    work = Path(tempfile.mkdtemp())
    img = cv2.imread(str(ann['img_dir'] / ann['names'][0]))
    big = cv2.resize(img, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    photo = work / 'photo_4000x3000.jpg'
    cv2.imwrite(str(photo), big)
    command = [
        sys.executable,
        str(REPO / 'tools/demo/image_demo.py'), str(photo), '--config',
        args.config, '--checkpoint', args.checkpoint, '--out-dir',
        str(work / 'out'), '--outputs', 'landmarks', 'pose', 'dense',
        'mesh', 'depth', 'pncc', 'obj', 'ply', 'json'
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(command, capture_output=True, text=True,
                            env=dict(os.environ))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode:
        raise RuntimeError(f'image_demo.py failed: {result.stderr[-2000:]}')
    print('\n### Memory: tools/demo/image_demo.py, every output, one '
          '4000x3000 photo\n')
    print(f'peak resident memory {max(peak, before) / 1024:.0f} MiB '
          f'({result.stdout.strip().splitlines()[-1]})')


def main(argv=None) -> int:
    args = parse_args(argv)
    ann = load_annotations()
    if 'detection' in args.parts:
        detection(args, ann)
    model = None
    if {'accuracy', 'speed'} & set(args.parts):
        model = init_model(args.config, args.checkpoint)
    if 'accuracy' in args.parts:
        accuracy(args, model, ann)
    if 'speed' in args.parts:
        speed(args, model, ann)
    if 'memory' in args.parts:
        memory(args, ann)
    return 0


if __name__ == '__main__':
    run_tool(main)
