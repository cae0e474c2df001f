"""Reconstruct the faces of an image or of every image of a folder.

    python tools/demo/image_demo.py INPUT --config CONFIG \\
        --checkpoint CHECKPOINT --out-dir DIR [--outputs ...]

INPUT is an image or a folder (searched recursively for .jpg, .jpeg, .png,
.bmp, .tif, .tiff, .webp). Faces are found by a face detector (FaceBoxes by
default, offline), cropped, regressed and decoded by
:func:`mmface3d.apis.inference_model`. For each image ``<name>``, each
output optional (``--outputs``): ``<name>_landmarks.png``,
``<name>_pose.png``, ``<name>_dense.png``, ``<name>_mesh.png`` (shaded mesh
over the photo), ``<name>_depth.png``, ``<name>_pncc.png``,
``<name>_face<k>.obj`` / ``.ply`` (vertex colours from the photo) and
``<name>.json`` (pose, box, landmarks, landmark-map source). An image
without a face gets a JSON with no faces and a log line. Gray, RGBA and
16-bit images work. Images of a folder keep their relative paths under
``--out-dir``.

Example (the 3DDFA_V2 model converted as the README says)::

    python tools/demo/image_demo.py \\
        $MMFACE3D_DATA/aflw2000_3d/AFLW2000/image00002.jpg \\
        --config configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py \\
        --checkpoint work_dirs/3ddfa_v2_mb05.pth --out-dir out/
"""
import argparse
import logging
from pathlib import Path
from typing import List

from mmengine.logging import print_log
from tqdm import tqdm

from mmface3d.apis import inference_model, load_image
from mmface3d.apis.demo_cli import (add_model_args, add_output_args,
                                    model_from_args, write_outputs)
from mmface3d.utils import run_tool
from mmface3d.visualization import Face3DLocalVisualizer

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='3D face reconstruction of images')
    parser.add_argument('input', help='an image or a folder of images')
    add_model_args(parser)
    add_output_args(parser)
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def list_inputs(path: Path) -> List[Path]:
    """The image itself, or the images under a folder (sorted)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f'{path}: no such image or folder')
    images = sorted(p for p in path.rglob('*')
                    if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
    if not images:
        raise FileNotFoundError(
            f'{path}: no image ({", ".join(IMAGE_EXTS)}) in the folder')
    return images


def main(argv=None) -> int:
    args = parse_args(argv)
    source = Path(args.input)
    images = list_inputs(source)
    model = model_from_args(args)
    visualizer = Face3DLocalVisualizer(name='image_demo')
    out_dir = Path(args.out_dir)
    faces = 0
    progress = tqdm(images, desc='images', unit='img',
                    disable=args.no_progress or len(images) == 1)
    for path in progress:
        relative = path.relative_to(source) if source.is_dir() else \
            Path(path.name)
        results = load_image(model, path)
        samples = inference_model(model, results['img'])
        for sample in samples:
            sample.set_metainfo(dict(img_path=str(path)))
        if not samples:
            print_log(f'{path}: no face found', logger='current',
                      level=logging.WARNING)
        write_outputs(out_dir / relative.parent, relative.stem,
                      results['img'], samples, args.outputs, visualizer,
                      img_path=str(path))
        faces += len(samples)
    print(f'{faces} faces in {len(images)} images; outputs in {out_dir}')
    return 0


if __name__ == '__main__':
    run_tool(main)
