"""A web page to reconstruct the faces of an uploaded photo (gradio).

    python tools/demo/web_demo.py --config CONFIG --checkpoint CHECKPOINT
        [--host 127.0.0.1] [--port 7860]

Open the printed address, drop a photo and press *Reconstruct*: the page
shows the landmarks and head pose, the shaded mesh over the photo and the
mesh itself in a 3D viewer, and offers the ``.obj`` (vertex colours from
the photo) and the JSON record (pose, boxes, landmarks) for download. It
runs offline (no analytics, no web fonts, no share link) and serves only
the address given (loopback by default).
"""
import argparse
import os
import tempfile
from pathlib import Path

# before gradio is imported: it reads this at import
os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from mmface3d.apis import (draw_landmarks, inference_model,  # noqa: E402
                           render_faces)
from mmface3d.apis.demo_cli import (add_model_args, model_from_args,  # noqa
                                    write_outputs)
from mmface3d.utils import run_tool  # noqa: E402
from mmface3d.visualization import Face3DLocalVisualizer  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Web demo of 3D face reconstruction')
    add_model_args(parser)
    parser.add_argument(
        '--host', default='127.0.0.1',
        help='address to serve (0.0.0.0 for every interface)')
    parser.add_argument('--port', type=int, default=7860, help='port')
    parser.add_argument(
        '--work-dir', default=None,
        help='folder of the files offered for download (default: a new '
        'temporary folder)')
    return parser.parse_args(argv)


def reconstruct(model, visualizer, work_dir: Path, image: np.ndarray):
    """One photo (RGB from the page) -> the page's outputs: landmark and
    pose overlay, mesh overlay (RGB), the .obj for the 3D viewer, the files
    to download and a status line."""
    if image is None:
        raise gr.Error('Upload a photo first.')
    rgb = np.asarray(image)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, 2)
    bgr = np.ascontiguousarray(rgb[..., 2::-1])
    samples = inference_model(model, bgr)
    out_dir = Path(tempfile.mkdtemp(dir=work_dir))
    written = write_outputs(out_dir, 'photo', bgr, samples,
                            ('obj', 'json'), visualizer)
    downloads = [str(p) for p in written]
    if not samples:
        return None, None, None, downloads, 'No face found in this photo.'
    overlay = draw_landmarks(bgr, samples, visualizer, with_axes=True)
    mesh = render_faces(bgr, samples, 'shaded', visualizer)
    yaw, pitch, roll = samples[0].pred_pose.tolist()
    status = (f'{len(samples)} face(s). Face 0: yaw {yaw:.1f}, pitch '
              f'{pitch:.1f}, roll {roll:.1f} degrees.')
    return (overlay[..., ::-1], mesh[..., ::-1], downloads[0], downloads,
            status)


def build_demo(model, work_dir: Path) -> gr.Blocks:
    """The page: photo in; overlays, 3D viewer and downloads out."""
    visualizer = Face3DLocalVisualizer(name='web_demo')

    def run(image):
        return reconstruct(model, visualizer, work_dir, image)

    with gr.Blocks(title='mmface3d: 3D face reconstruction') as demo:
        gr.Markdown(
            '## mmface3d: 3D face from a photo\n'
            'Drop a photo, press **Reconstruct**. Faces are found by '
            'FaceBoxes, the 3D face is regressed by the model and shown as '
            'landmarks with head pose, as a shaded mesh over the photo and '
            'in 3D; the mesh (.obj with the photo\'s colours) and the JSON '
            'record can be downloaded.')
        with gr.Row():
            photo = gr.Image(type='numpy', label='Photo', elem_id='photo',
                             image_mode='RGB', sources=['upload'])
            with gr.Column():
                button = gr.Button('Reconstruct', variant='primary',
                                   elem_id='run')
                status = gr.Markdown(elem_id='status')
        with gr.Row():
            overlay = gr.Image(label='Landmarks and head pose',
                               elem_id='overlay', interactive=False)
            mesh = gr.Image(label='Mesh over the photo', elem_id='mesh',
                            interactive=False)
        viewer = gr.Model3D(label='Mesh (drag to turn)', elem_id='viewer')
        files = gr.File(label='Downloads: mesh (.obj) and JSON',
                        file_count='multiple', elem_id='files')
        button.click(run, photo, [overlay, mesh, viewer, files, status])
    return demo


def main(argv=None) -> int:
    args = parse_args(argv)
    model = model_from_args(args)
    work_dir = Path(args.work_dir or tempfile.mkdtemp(prefix='mmface3d_'))
    work_dir.mkdir(parents=True, exist_ok=True)
    demo = build_demo(model, work_dir)
    # system fonts only: the page must not wait for a font server
    theme = gr.themes.Default(
        font=['system-ui', 'sans-serif'], font_mono=['monospace'])
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        theme=theme,
        allowed_paths=[str(work_dir)],
        footer_links=[])
    return 0


if __name__ == '__main__':
    run_tool(main)
