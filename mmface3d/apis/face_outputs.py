"""What the demos make of :func:`~mmface3d.apis.inference_model`'s faces:
overlays, renders, mesh files and JSON records.

Drawing reuses :class:`~mmface3d.visualization.Face3DLocalVisualizer`'s
helpers (landmark dots, pose axes, mesh colour and opacity). Renders are
made face by face in the image region the face covers, so a 4000x3000
photo costs the memory of its faces, not of full-size z-buffers.
"""
import json
import re
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import torch

from mmface3d.morphable import MorphableModel, get_morphable_model, render
from mmface3d.structures import Face3DDataSample
from mmface3d.utils.data_root import resolve_data_path
from mmface3d.utils.mesh_io import sample_vertex_colors, save_obj, save_ply

# per-vertex normalised coordinates (PNCC colours), by mesh size
NCC_FILES = {53215: 'bfm/pncc_code.npy', 38365: 'bfm/ncc_code.npy'}
_NCC = {}
NUMBER_LIST = re.compile(r'\[\s*([-+0-9.eE,\s]+?)\s*\]')


def _model(sample: Face3DDataSample) -> MorphableModel:
    return get_morphable_model(sample.metainfo['pred_morphable_model'])


def _origin(sample: Face3DDataSample) -> float:
    return float(sample.metainfo.get('pixel_origin', 0.0))


def draw_landmarks(image: np.ndarray,
                   samples: Sequence[Face3DDataSample],
                   visualizer,
                   with_axes: bool = True) -> np.ndarray:
    """The 68 landmarks (and the head-pose axes at the nose tip) of every
    face over a copy of ``image`` (H, W, 3) BGR uint8."""
    out = np.ascontiguousarray(image).copy()
    for sample in samples:
        points = sample.pred_landmarks.detach().cpu().numpy()
        visualizer.draw_points(out, points, visualizer.pred_color,
                               _origin(sample))
        if with_axes:
            draw_pose_axes(out, sample, visualizer)
    return out


def draw_pose_axes(image: np.ndarray, sample: Face3DDataSample,
                   visualizer) -> None:
    """Head-pose axes of one face, in place; the axes are half the side of
    the face's box long."""
    box = sample.bbox.detach().cpu().numpy()
    length = 0.5 * float(np.mean(box[2:4] - box[:2]))
    visualizer.draw_axes(image,
                         sample.pred_pose.detach().cpu().numpy(),
                         sample.pred_landmarks[30].detach().cpu().numpy(),
                         length, _origin(sample))


def draw_dense(image: np.ndarray,
               samples: Sequence[Face3DDataSample],
               step: int = 6) -> np.ndarray:
    """Dense alignment: every ``step``-th vertex of each face as a pixel,
    coloured from far (blue) to near (red), over a copy of ``image``."""
    out = np.ascontiguousarray(image).copy()
    height, width = out.shape[:2]
    for sample in samples:
        vertices = sample.pred_vertices[::step].detach().cpu().numpy()
        cols = np.round(vertices[:, 0] - _origin(sample)).astype(int)
        rows = np.round(vertices[:, 1] - _origin(sample)).astype(int)
        depth = vertices[:, 2] - vertices[:, 2].min()
        depth = depth / max(depth.max(), 1e-6)
        colors = np.stack([255 * (1 - depth), 64 + 0 * depth, 255 * depth],
                          1).astype(np.uint8)
        keep = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        out[rows[keep], cols[keep]] = colors[keep]
    return out


def _ncc_colors(model: MorphableModel) -> torch.Tensor:
    """(N, 3) BGR PNCC colours in [0, 255] of a mesh (x -> red, y -> green,
    z -> blue, as 3DDFA draws them)."""
    key = model.num_vertices
    if key not in NCC_FILES:
        raise ValueError(f'no PNCC code for a mesh of {key} vertices '
                         f'(known: {sorted(NCC_FILES)})')
    if key not in _NCC:
        path = resolve_data_path(NCC_FILES[key])
        code = np.load(path).astype(np.float32)
        if code.shape != (3, key):
            raise ValueError(f'{path}: expected (3, {key}), got '
                             f'{code.shape}')
        _NCC[key] = torch.from_numpy(code.T[:, ::-1] * 255.0)
    return _NCC[key]


def render_faces(image: np.ndarray,
                 samples: Sequence[Face3DDataSample],
                 mode: str = 'shaded',
                 visualizer=None,
                 background: Optional[np.ndarray] = None) -> np.ndarray:
    """Render every face's mesh over an image.

    Args:
        image (np.ndarray): (H, W, 3) BGR uint8, the photo.
        samples (Sequence[Face3DDataSample]): Faces with ``pred_vertices``.
        mode (str): ``'shaded'`` (Lambertian mesh in the visualizer's mesh
            colour, blended with its ``mesh_alpha``), ``'depth'`` (grey
            levels, near = white, per face) or ``'pncc'`` (projected
            normalised coordinate code). Defaults to ``'shaded'``.
        visualizer: The :class:`Face3DLocalVisualizer` of mesh colour and
            opacity (``'shaded'`` only).
        background (np.ndarray, optional): What the meshes are drawn on;
            defaults to ``image`` for ``'shaded'``, black otherwise.

    Returns:
        np.ndarray: (H, W, 3) BGR uint8.
    """
    if mode not in ('shaded', 'depth', 'pncc'):
        raise ValueError(f"mode must be 'shaded', 'depth' or 'pncc', got "
                         f'{mode!r}')
    if background is None:
        background = image if mode == 'shaded' else np.zeros_like(image)
    out = np.ascontiguousarray(background).copy()
    height, width = out.shape[:2]
    # far faces first, so nearer ones cover them
    order = sorted(samples, key=lambda s: float(s.pred_vertices[:, 2].mean()))
    for sample in order:
        model = _model(sample)
        vertices = sample.pred_vertices.detach().float().cpu()
        origin = _origin(sample)
        lo = torch.floor(vertices[:, :2].amin(0) - origin).int().tolist()
        hi = torch.ceil(vertices[:, :2].amax(0) - origin).int().tolist()
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0] + 1, width), min(hi[1] + 1, height)
        if x1 <= x0 or y1 <= y0:
            continue
        region = torch.from_numpy(out[y0:y1, x0:x1].copy())
        shifted = (vertices - torch.tensor([x0, y0, 0.0])).T[None]
        kwargs = dict(ambient=1.0, diffuse=0.0)
        if mode == 'shaded':
            colors = torch.tensor(visualizer.mesh_color,
                                  dtype=torch.float32).expand(
                                      model.num_vertices, 3)
            kwargs = dict(alpha=visualizer.mesh_alpha)
        elif mode == 'depth':
            z = vertices[:, 2] - vertices[:, 2].min()
            colors = (255 * z / z.max().clamp(min=1e-6))[:, None].expand(-1, 3)
        else:
            colors = _ncc_colors(model)
        drawn = render(shifted,
                       model.tri,
                       colors,
                       background=region,
                       pixel_origin=origin,
                       **kwargs)
        out[y0:y1, x0:x1] = drawn.image[0].numpy()
    return out


def save_mesh(path: Union[str, Path],
              sample: Face3DDataSample,
              image: Optional[np.ndarray] = None) -> Path:
    """Write one face's mesh as ``.obj`` or ``.ply`` (by the suffix), with
    vertex colours sampled from ``image`` (BGR) when given."""
    path = Path(path)
    model = _model(sample)
    vertices = sample.pred_vertices.detach().cpu().numpy()
    colors = None if image is None else sample_vertex_colors(
        image, vertices, _origin(sample))
    writer = {'.obj': save_obj, '.ply': save_ply}.get(path.suffix.lower())
    if writer is None:
        raise ValueError(f'{path}: mesh files are .obj or .ply')
    writer(path, vertices, model.tri, colors)
    return path


def face_record(sample: Face3DDataSample) -> dict:
    """One face as plain JSON values: box, crop box, pose, landmarks (in
    0-based pixel coordinates: (0, 0) is the centre of the top-left pixel),
    landmark-map source and the raw crop params."""
    origin = _origin(sample)
    landmarks = sample.pred_landmarks.detach().cpu().double().numpy()
    landmarks[:, :2] -= origin
    box = sample.bbox.detach().cpu().double().numpy()
    yaw, pitch, roll = sample.pred_pose.detach().cpu().double().tolist()

    def rounded(array, digits=2):
        return np.round(np.asarray(array, dtype=np.float64), digits).tolist()

    return dict(face_index=int(sample.metainfo.get('face_index', 0)),
                bbox=rounded(box[:4]),
                score=round(float(box[4]), 4),
                roi_box=rounded(sample.metainfo['roi_box']),
                pose=dict(yaw=round(yaw, 2),
                          pitch=round(pitch, 2),
                          roll=round(roll, 2)),
                landmarks_2d=rounded(landmarks[:, :2]),
                landmarks_3d=rounded(landmarks),
                landmark_source=sample.metainfo.get('landmark_source'),
                params=rounded(sample.pred_params.detach().cpu().numpy(), 6))


def image_record(samples: Sequence[Face3DDataSample],
                 img_path: Optional[str],
                 img_shape: Sequence[int],
                 landmark_source: Optional[str] = None) -> dict:
    """The JSON record of one image and its faces (``faces`` empty when
    none was found). ``landmark_source`` defaults to the first face's (None:
    the model takes no landmark map)."""
    if landmark_source is None and samples:
        landmark_source = samples[0].metainfo.get('landmark_source')
    return dict(
        image=None if img_path is None else str(img_path),
        height=int(img_shape[0]),
        width=int(img_shape[1]),
        coordinates='pixels; (0, 0) is the centre of the top-left pixel',
        pose_units='degrees',
        landmark_source=landmark_source,
        faces=[face_record(s) for s in samples])


def write_json(path: Union[str, Path], record: dict) -> Path:
    """Write a record (:func:`image_record`) as indented JSON."""
    path = Path(path)
    text = json.dumps(record, indent=1)
    # one line per point / box instead of one per number
    text = NUMBER_LIST.sub(lambda m: '[' + ' '.join(m.group(1).split()) + ']',
                           text)
    path.write_text(text + '\n')
    return path
