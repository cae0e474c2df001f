"""Mesh export: Wavefront ``.obj`` (with per-vertex colour) and ``.ply``.

Vertices come in mmface3d's image frame (x right, y down, z towards the
camera, as :meth:`MorphableModel.reconstruct` and ``crop_to_image`` return
them). Files are written in the usual 3D-viewer frame (x right, y up, z
towards the viewer), i.e. with y negated, and the triangles ordered so that
their right-hand normals point out of the face: a viewer looking down -z sees
the front of the face, lit.
"""
from pathlib import Path
from typing import Optional, Union

import cv2
import numpy as np
from torch import Tensor

ArrayLike = Union[np.ndarray, Tensor]
REMAP_WIDTH = 1024


def _as_numpy(array: ArrayLike) -> np.ndarray:
    if isinstance(array, Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array)


def _prepare(vertices: ArrayLike, triangles: ArrayLike,
             colors: Optional[ArrayLike]):
    """Check shapes; return file-frame vertices, outward triangles and
    colours in [0, 1]."""
    vertices = _as_numpy(vertices).astype(np.float64)
    triangles = _as_numpy(triangles).astype(np.int64)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise ValueError(f'vertices must be (N, 3), got {vertices.shape}')
    if not np.isfinite(vertices).all():
        bad = int((~np.isfinite(vertices).all(1)).sum())
        raise ValueError(f'{bad} of {len(vertices)} vertices hold NaN or inf '
                         '(params of a diverged model?); refusing to write '
                         'the mesh')
    if triangles.ndim != 2 or triangles.shape[1] != 3:
        raise ValueError(f'triangles must be (M, 3), got {triangles.shape}')
    if triangles.size and (triangles.min() < 0
                           or triangles.max() >= len(vertices)):
        raise ValueError('triangles must hold 0-based vertex ids in '
                         f'[0, {len(vertices)})')
    if colors is not None:
        colors = _as_numpy(colors).astype(np.float64)
        if colors.shape != vertices.shape or not np.isfinite(colors).all():
            raise ValueError(f'colors must be finite (N, 3) like vertices '
                             f'{vertices.shape}, got {colors.shape}')
        if colors.max(initial=0) > 1:
            colors = colors / 255.0
    # Negating y mirrors the mesh, so the winding is reversed to keep the
    # normals pointing out of the face.
    return (vertices * [1, -1, 1], triangles[:, ::-1],
            None if colors is None else np.clip(colors, 0, 1))


def save_obj(path: Union[str, Path],
             vertices: ArrayLike,
             triangles: ArrayLike,
             colors: Optional[ArrayLike] = None) -> None:
    """Write a Wavefront ``.obj`` file with 1-based face indices.

    Args:
        path (str | Path): Output file.
        vertices (np.ndarray | Tensor): (N, 3) image-frame vertices.
        triangles (np.ndarray | Tensor): (M, 3) 0-based vertex ids, as
            ``MorphableModel.tri``.
        colors (np.ndarray | Tensor, optional): (N, 3) RGB per vertex, in
            [0, 1] or [0, 255]; written as ``v x y z r g b``.
    """
    vertices, triangles, colors = _prepare(vertices, triangles, colors)
    rows = vertices if colors is None else np.hstack([vertices, colors])
    vfmt = 'v' + ' %.6f' * rows.shape[1]
    with open(path, 'w') as f:
        np.savetxt(f, rows, fmt=vfmt)
        np.savetxt(f, triangles + 1, fmt='f %d %d %d')


def save_ply(path: Union[str, Path],
             vertices: ArrayLike,
             triangles: ArrayLike,
             colors: Optional[ArrayLike] = None) -> None:
    """Write a binary little-endian ``.ply`` file.

    Args:
        path (str | Path): Output file.
        vertices (np.ndarray | Tensor): (N, 3) image-frame vertices.
        triangles (np.ndarray | Tensor): (M, 3) 0-based vertex ids.
        colors (np.ndarray | Tensor, optional): (N, 3) RGB per vertex, in
            [0, 1] or [0, 255]; written as uchar ``red green blue``.
    """
    vertices, triangles, colors = _prepare(vertices, triangles, colors)
    vfields = [('x', '<f4'), ('y', '<f4'), ('z', '<f4')]
    if colors is not None:
        vfields += [('red', 'u1'), ('green', 'u1'), ('blue', 'u1')]
    vrec = np.empty(len(vertices), dtype=vfields)
    for i, axis in enumerate('xyz'):
        vrec[axis] = vertices[:, i]
    if colors is not None:
        for i, channel in enumerate(('red', 'green', 'blue')):
            vrec[channel] = np.round(colors[:, i] * 255)
    frec = np.empty(
        len(triangles), dtype=[('n', 'u1'), ('ids', '<i4', (3, ))])
    frec['n'] = 3
    frec['ids'] = triangles
    header = ['ply', 'format binary_little_endian 1.0',
              f'element vertex {len(vertices)}']
    header += [f'property float {axis}' for axis in 'xyz']
    if colors is not None:
        header += [f'property uchar {c}' for c in ('red', 'green', 'blue')]
    header += [f'element face {len(triangles)}',
               'property list uchar int vertex_indices', 'end_header']
    with open(path, 'wb') as f:
        f.write(('\n'.join(header) + '\n').encode('ascii'))
        f.write(vrec.tobytes())
        f.write(frec.tobytes())


def sample_vertex_colors(image: np.ndarray,
                         vertices: ArrayLike,
                         pixel_origin: float = 0.0) -> np.ndarray:
    """Colours of the image under each vertex, for a textured mesh export.

    Bilinear interpolation at ``(x - pixel_origin, y - pixel_origin)``
    (pixel (0, 0)'s centre is at ``pixel_origin`` in the vertices' frame,
    see :func:`mmface3d.morphable.pixel_origin`); vertices off the image
    take the nearest border pixel. Occluded vertices get the colour of
    whatever covers them.

    Args:
        image (np.ndarray): (H, W, 3) BGR uint8 image.
        vertices (np.ndarray | Tensor): (N, 2+) image-frame vertices.
        pixel_origin (float): Coordinate of pixel (0, 0)'s centre.
            Defaults to 0.

    Returns:
        np.ndarray: (N, 3) float32 RGB in [0, 255] (what :func:`save_obj`
        and :func:`save_ply` take).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be (H, W, 3) BGR, got {image.shape}')
    points = _as_numpy(vertices).astype(np.float32)
    if points.ndim != 2 or points.shape[1] < 2 or \
            not np.isfinite(points[:, :2]).all():
        raise ValueError(f'vertices must be finite (N, 2+), got '
                         f'{points.shape}')
    num = len(points)
    # cv2.remap maps are images (sides < 32767): lay the points out in rows
    xy = np.zeros((-(-num // REMAP_WIDTH) * REMAP_WIDTH, 2), np.float32)
    xy[:num] = points[:, :2] - np.float32(pixel_origin)
    xy = xy.reshape(-1, REMAP_WIDTH, 2)
    colors = cv2.remap(image, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return colors.reshape(-1, 3)[:num, ::-1].astype(np.float32)
