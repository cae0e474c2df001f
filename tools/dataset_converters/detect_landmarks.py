"""Detect 68 facial landmarks with FAN over an image folder and write the
landmark list that ``InTheWildDataset`` reads (docs/datasets.md).

FAN is the 2D face-alignment network of the ``face_alignment`` package (with
its SFD face detector); it downloads its weights on first use. One line per
image: ``name,x1,y1,...,x68,y68`` in image pixels, ``name`` relative to the
folder. Where several faces are found the largest detection is kept; where
none is found the line holds the name alone (and a log line says so), which
the dataset counts and skips.

The run is resumable: images already in the output file (with or without
points) are not processed again, and a line cut short by an interrupted run
is dropped and redone.

Example::

    python tools/dataset_converters/detect_landmarks.py \\
        data/umdfaces/images data/umdfaces/fan_landmarks.txt --device cuda

Exit status: 0 done; 1 the folder holds no image.
"""
import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Set

import cv2
import face_alignment
import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

from mmface3d.datasets.landmark_io import format_landmark_line

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
HEADER = ('# mmface3d landmark list: name,x1,y1,...,x68,y68 in image pixels '
          '(FAN); a name alone = no face found\n')


def list_images(img_dir: Path, exts: Sequence[str] = IMAGE_EXTS) -> list:
    """Image files under ``img_dir`` (recursive), as sorted POSIX paths
    relative to it."""
    exts = tuple(e.lower() for e in exts)
    return sorted(
        p.relative_to(img_dir).as_posix() for p in img_dir.rglob('*')
        if p.is_file() and p.suffix.lower() in exts)


def done_names(out_file: Path) -> Set[str]:
    """Names already in ``out_file``; a last line without its newline (an
    interrupted write) is removed from the file first."""
    if not out_file.exists():
        return set()
    text = out_file.read_text(encoding='utf-8')
    if text and not text.endswith('\n'):
        cut = text.rfind('\n') + 1
        print_log(
            f'{out_file}: dropping the unfinished last line '
            f'{text[cut:][:40]!r}...',
            logger='current',
            level=logging.WARNING)
        text = text[:cut]
        out_file.write_text(text, encoding='utf-8')
    return {
        line.split(',', 1)[0].strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith('#')
    }


def largest_face(landmarks: Sequence[np.ndarray],
                 boxes: Optional[Sequence[np.ndarray]]) -> np.ndarray:
    """The (68, 2) landmarks of the largest face: by detection box area, or
    by landmark extent when there are no boxes."""
    if boxes is not None and len(boxes) == len(landmarks):
        areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]
    else:
        areas = [
            np.prod(np.ptp(np.asarray(p)[:, :2], axis=0)) for p in landmarks
        ]
    return np.asarray(landmarks[int(np.argmax(areas))])[:, :2]


def build_aligner(device: str = 'cpu', detector: str = 'sfd'):
    """FAN (2D, 68 points) with the given face detector."""
    return face_alignment.FaceAlignment(
        face_alignment.LandmarksType.TWO_D,
        device=device,
        face_detector=detector,
        flip_input=False)


def detect_folder(img_dir: Path,
                  out_file: Path,
                  aligner,
                  exts: Sequence[str] = IMAGE_EXTS,
                  progress: bool = True) -> Dict[str, int]:
    """Append landmark lines for the images of ``img_dir`` not yet in
    ``out_file``.

    Args:
        img_dir (Path): Image folder.
        out_file (Path): Landmark list to create or extend.
        aligner: Object with FAN's ``get_landmarks_from_image(image,
            return_bboxes=True)`` (RGB uint8 image ->
            ``(landmarks, scores, boxes)``, landmarks None when no face).
        exts (Sequence[str]): Image extensions. Defaults to
            :data:`IMAGE_EXTS`.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict[str, int]: ``images``, ``done_before``, ``detected``,
        ``no_face`` and ``unreadable`` counts.
    """
    names = list_images(img_dir, exts)
    done = done_names(out_file)
    todo = [n for n in names if n not in done]
    counts = dict(
        images=len(names),
        done_before=len(names) - len(todo),
        detected=0,
        no_face=0,
        unreadable=0)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    new_file = not out_file.exists() or out_file.stat().st_size == 0
    with open(out_file, 'a', encoding='utf-8') as f:
        if new_file:
            f.write(HEADER)
        for name in tqdm(todo, desc='FAN', disable=not progress):
            img = cv2.imread(str(img_dir / name), cv2.IMREAD_COLOR)
            if img is None:
                counts['unreadable'] += 1
                print_log(
                    f'{name}: unreadable image, not written (a later '
                    'run retries it)',
                    logger='current',
                    level=logging.WARNING)
                continue
            landmarks, _, boxes = aligner.get_landmarks_from_image(
                np.ascontiguousarray(img[:, :, ::-1]), return_bboxes=True)
            if landmarks is None or len(landmarks) == 0:
                counts['no_face'] += 1
                print_log(
                    f'{name}: no face found',
                    logger='current',
                    level=logging.WARNING)
                f.write(format_landmark_line(name) + '\n')
            else:
                counts['detected'] += 1
                f.write(
                    format_landmark_line(name, largest_face(landmarks, boxes))
                    + '\n')
            f.flush()
    return counts


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Detect 68 landmarks with FAN and write the landmark '
        'list of InTheWildDataset.')
    parser.add_argument('img_dir', help='image folder (searched recursively)')
    parser.add_argument('out_file', help='landmark list to create or extend')
    parser.add_argument(
        '--device', default='cpu', help='torch device of FAN (cpu, cuda)')
    parser.add_argument(
        '--detector',
        default='sfd',
        help='face_alignment face detector (sfd, blazeface, dlib)')
    parser.add_argument(
        '--ext',
        nargs='+',
        default=list(IMAGE_EXTS),
        help='image extensions to read')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    img_dir, out_file = Path(args.img_dir), Path(args.out_file)
    if not list_images(img_dir, args.ext):
        print(
            f'error: no image with extension {args.ext} under {img_dir}',
            file=sys.stderr)
        return 1
    counts = detect_folder(img_dir, out_file,
                           build_aligner(args.device, args.detector), args.ext,
                           not args.no_progress)
    print(f'{out_file}: {counts["detected"]} faces written, '
          f'{counts["no_face"]} images without a face, '
          f'{counts["unreadable"]} unreadable, {counts["done_before"]} done '
          'in earlier runs')
    return 0


if __name__ == '__main__':
    sys.exit(main())
