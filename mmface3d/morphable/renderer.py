"""A batched z-buffered triangle rasteriser and Lambertian mesh renderer.

Everything is torch and runs on the device of the vertices. Vertices are in
image pixels with x to the right, y down and z towards the camera (larger z
is nearer), the frame :meth:`MorphableModel.reconstruct` and
:meth:`MorphableModel.crop_to_image` produce. The projection is orthographic:
pixel ``(row r, col c)`` samples the surface at ``x = c + pixel_origin``,
``y = r + pixel_origin``.

Rasterisation is exact at pixel centres, whatever the triangle size: each
triangle enumerates the pixel centres of its bounding box (triangles are
bucketed by power-of-two box sizes so that the enumeration stays batched),
keeps those inside it (edge functions, shared edges covered exactly once or
twice, never missed) and the nearest one per pixel wins through a
``scatter_reduce`` max over a packed ``(depth, triangle id)`` int64 key.
"""
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

# The low 32 bits of a packed z-buffer key hold the triangle id.
_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1
_EMPTY_KEY = torch.iinfo(torch.int64).min
# Pixel candidates tested at once, bounding memory for huge triangles.
_MAX_CANDIDATES = 1 << 22

LightValue = Union[float, Sequence[float], Tensor]


class Rasterization(NamedTuple):
    """Per-pixel result of :func:`rasterize`.

    Attributes:
        face_index (Tensor): (B, H, W) int64 id of the visible triangle
            (row of ``tri``), -1 where no triangle covers the pixel.
        bary (Tensor): (B, H, W, 3) barycentric weights of the pixel centre
            in that triangle (0 on background).
        depth (Tensor): (B, H, W) interpolated z of the visible surface,
            ``-inf`` on background.
    """
    face_index: Tensor
    bary: Tensor
    depth: Tensor

    @property
    def mask(self) -> Tensor:
        """(B, H, W) bool, True where a triangle is visible."""
        return self.face_index >= 0


class RenderOutput(NamedTuple):
    """Result of :func:`render`.

    Attributes:
        image (Tensor): (B, H, W, 3) rendered image over the background, in
            the channel order of ``colors`` (the toolbox uses BGR); uint8 or
            float in [0, 255], see ``render(dtype=...)``.
        mask (Tensor): (B, H, W) bool, True where the mesh is visible.
        depth (Tensor): (B, H, W) z of the visible surface, ``-inf`` on
            background.
        face_index (Tensor): (B, H, W) int64 visible triangle, -1 on
            background.
    """
    image: Tensor
    mask: Tensor
    depth: Tensor
    face_index: Tensor


def _check_mesh(vertices: Tensor, tri: Tensor) -> None:
    if not isinstance(vertices, Tensor) or vertices.ndim != 3 or \
            vertices.shape[1] != 3 or not vertices.is_floating_point():
        shape = tuple(getattr(vertices, 'shape', ()))
        raise ValueError('vertices must be a float (B, 3, N) tensor of '
                         f'image-pixel points, got {shape}')
    if not torch.isfinite(vertices).all():
        raise ValueError('vertices hold NaN or inf values')
    if not isinstance(tri, Tensor) or tri.ndim != 2 or tri.shape[1] != 3:
        shape = tuple(getattr(tri, 'shape', ()))
        raise ValueError(f'tri must be a (M, 3) tensor of 0-based vertex ids '
                         f'(MorphableModel.tri), got {shape}')
    if tri.numel() and (int(tri.min()) < 0
                        or int(tri.max()) >= vertices.shape[2]):
        raise ValueError(f'tri holds vertex ids outside [0, '
                         f'{vertices.shape[2]}): it must be 0-based ids of '
                         'the (B, 3, N) vertices')
    if tri.shape[0] > _ID_MASK:
        raise ValueError(f'tri has {tri.shape[0]} triangles; at most '
                         f'{_ID_MASK} fit in the z-buffer key')


def _depth_key(depth: Tensor) -> Tensor:
    """Order-preserving map of float32 depth to int64 (upper 32 bits)."""
    bits = depth.float().contiguous().view(torch.int32).long()
    # Negative floats sort in reverse bit order: flip their magnitude bits.
    bits = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits)
    return bits << _ID_BITS


def _edge(xi: Tensor, yi: Tensor, xj: Tensor, yj: Tensor, px: Tensor,
          py: Tensor) -> Tensor:
    # Swapping i and j negates the value exactly in floating point, so a
    # pixel centre on an edge shared by two triangles is never dropped.
    return (xi - px) * (yj - py) - (xj - px) * (yi - py)


def _edges(tri_x: Tensor, tri_y: Tensor, px: Tensor, py: Tensor) -> Tensor:
    """Edge functions of pixel centres against triangles.

    Args:
        tri_x (Tensor): (T, 3) corner x of each triangle.
        tri_y (Tensor): (T, 3) corner y.
        px (Tensor): (T, K) or (T,) pixel-centre x (broadcastable).
        py (Tensor): Same shape as ``px``, pixel-centre y.

    Returns:
        Tensor: (3, T, K) or (3, T) edge function opposite each corner: the
        barycentric weights times the doubled signed area.
    """
    if px.ndim == 2:
        tri_x, tri_y = tri_x[:, :, None], tri_y[:, :, None]
    x, y = tri_x.unbind(1), tri_y.unbind(1)
    return torch.stack([
        _edge(x[1], y[1], x[2], y[2], px, py),
        _edge(x[2], y[2], x[0], y[0], px, py),
        _edge(x[0], y[0], x[1], y[1], px, py)
    ])


def _inside(edges: Tensor) -> Tensor:
    """Pixel centres inside (or on the border of) non-degenerate triangles:
    all three edge functions share a sign, so either winding works."""
    return (((edges >= 0).all(0) | (edges <= 0).all(0)) &
            (edges.sum(0) != 0))


def _pixel_range(xs: Tensor, ys: Tensor, height: int, width: int):
    """First column / row and number of columns / rows of the pixel centres
    in the bounding boxes of triangles with corners ``xs``, ``ys`` (..., 3),
    clipped to the image (a count <= 0 means none)."""
    ranges = []
    for coords, size in ((xs, width), (ys, height)):
        lo = torch.minimum(torch.minimum(coords[..., 0], coords[..., 1]),
                           coords[..., 2])
        hi = torch.maximum(torch.maximum(coords[..., 0], coords[..., 1]),
                           coords[..., 2])
        start = lo.ceil_().clamp_(min=0)
        ranges += [start, hi.floor_().clamp_(max=size - 1) - start + 1]
    col0, ncol, row0, nrow = ranges
    return col0, row0, ncol, nrow


def rasterize(vertices: Tensor,
              tri: Tensor,
              image_size: Tuple[int, int],
              pixel_origin: float = 0.0) -> Rasterization:
    """Z-buffered rasterisation of a batch of meshes at pixel centres.

    Args:
        vertices (Tensor): (B, 3, N) image-pixel vertices (x right, y down,
            z towards the camera).
        tri (Tensor): (M, 3) 0-based vertex ids of the triangles (either
            winding).
        image_size (tuple[int, int]): Output ``(H, W)``.
        pixel_origin (float): Coordinate of the centre of pixel (0, 0): 0 for
            0-based pixel coordinates (3DDFA_V2 ``'v2'`` params), 1 for the
            1-based ones of 3DDFA v1 ``'v1'`` params and the AFLW2000-3D
            annotations. Defaults to 0.

    Returns:
        Rasterization: visible triangle, barycentric weights and depth per
        pixel.
    """
    _check_mesh(vertices, tri)
    return _rasterize(vertices, tri, _image_size(image_size), pixel_origin)


def _image_size(image_size) -> Tuple[int, int]:
    height, width = int(image_size[0]), int(image_size[1])
    if height <= 0 or width <= 0:
        raise ValueError(f'image_size must be positive (H, W), got '
                         f'{tuple(image_size)}')
    return height, width


def _rasterize(vertices: Tensor, tri: Tensor, image_size: Tuple[int, int],
               pixel_origin: float) -> Rasterization:
    """:func:`rasterize` without the input checks."""
    height, width = image_size
    batch, device = vertices.shape[0], vertices.device
    num_tri = tri.shape[0]
    tri = tri.to(device=device, dtype=torch.long)
    shift = vertices.new_tensor([pixel_origin, pixel_origin, 0.0]).float()
    points = vertices.float().transpose(1, 2) - shift  # (B, N, 3)
    # (B, M, 3 corners, 3 coords): one gather for the whole batch.
    corners = points.index_select(1, tri.view(-1)).view(
        batch, num_tri, 3, 3)
    col0, row0, ncol, nrow = _pixel_range(corners[..., 0], corners[..., 1],
                                          height, width)
    flat_id = ((ncol > 0) & (nrow > 0)).view(-1).nonzero(as_tuple=True)[0]

    # Kept triangles as rows [x0 x1 x2 y0 y1 y2 z0 z1 z2], sorted by
    # power-of-two box side: each bucket is a contiguous slice that
    # enumerates a fixed square grid of pixel centres (few buckets: at face
    # resolution almost all triangles hold at most one pixel centre).
    corners = corners.view(-1, 3, 3)[flat_id].transpose(1, 2).reshape(-1, 9)
    col0, row0, ncol, nrow = (
        t.long()
        for t in _pixel_range(corners[:, 0:3], corners[:, 3:6], height, width))
    bucket = torch.maximum(ncol, nrow).float().log2().ceil().long()
    bucket, order = bucket.sort()
    corners = corners[order]
    meta = torch.stack([col0, row0, ncol, nrow, flat_id], 1)[order]
    codes, counts = torch.unique_consecutive(bucket, return_counts=True)

    zbuf = torch.full((batch * height * width, ), _EMPTY_KEY,
                      dtype=torch.long, device=device)
    start = 0
    for code, count in zip(codes.tolist(), counts.tolist()):
        side = 1 << code
        grid = torch.arange(side * side, device=device)[None]
        dx, dy = grid % side, grid // side
        step = max(1, _MAX_CANDIDATES // grid.numel())
        for first in range(start, start + count, step):
            last = min(first + step, start + count)
            tri_c, (col, row, ncol, nrow, fid) = corners[first:last], \
                meta[first:last].T[:, :, None]
            cols, rows = col + dx, row + dy
            edges = _edges(tri_c[:, 0:3], tri_c[:, 3:6], cols.float(),
                           rows.float())
            inside = (dx < ncol) & (dy < nrow) & _inside(edges)
            cand, k = inside.nonzero(as_tuple=True)
            edges = edges[:, cand, k]
            depth = (edges * tri_c[cand, 6:9].T).sum(0) / edges.sum(0)
            fid = fid[cand, 0]
            pixel = (fid // num_tri * height + rows[cand, k]) * width + \
                cols[cand, k]
            zbuf.scatter_reduce_(
                0, pixel, _depth_key(depth) + fid % num_tri, reduce='amax')
        start += count

    zbuf = zbuf.view(batch, height, width)
    covered = zbuf != _EMPTY_KEY
    face_index = torch.where(covered, zbuf & _ID_MASK,
                             torch.full_like(zbuf, -1))
    bary = points.new_zeros(batch, height, width, 3)
    depth = points.new_full((batch, height, width), float('-inf'))
    pix_b, pix_r, pix_c = covered.nonzero(as_tuple=True)
    corners = points[pix_b[:, None], tri[face_index[pix_b, pix_r, pix_c]]]
    edges = _edges(corners[..., 0], corners[..., 1], pix_c.float(),
                   pix_r.float())
    weights = (edges / edges.sum(0)).T
    bary[pix_b, pix_r, pix_c] = weights
    depth[pix_b, pix_r, pix_c] = (weights * corners[..., 2]).sum(1)
    return Rasterization(face_index, bary, depth)


def vertex_normals(vertices: Tensor, tri: Tensor) -> Tensor:
    """Area-weighted unit vertex normals, turned towards the camera.

    The sum of the adjacent triangles' cross products is flipped where its z
    is negative, so the winding of ``tri`` does not matter and surfaces seen
    from either side are lit (two-sided lighting).

    Args:
        vertices (Tensor): (B, 3, N) vertices.
        tri (Tensor): (M, 3) 0-based triangles.

    Returns:
        Tensor: (B, N, 3) unit normals (zero for isolated vertices).
    """
    _check_mesh(vertices, tri)
    return _vertex_normals(vertices, tri)


def _vertex_normals(vertices: Tensor, tri: Tensor) -> Tensor:
    """:func:`vertex_normals` without the input checks."""
    batch, num = vertices.shape[0], vertices.shape[2]
    tri = tri.to(device=vertices.device, dtype=torch.long)
    points = vertices.transpose(1, 2).contiguous()
    v0, v1, v2 = points.index_select(1, tri.view(-1)).view(
        batch, -1, 3, 3).unbind(2)
    face_normals = torch.cross(v1 - v0, v2 - v0, dim=2)
    # One scatter over the flattened batch: much faster on CPU than
    # index_add_ along a middle dimension.
    offsets = torch.arange(batch, device=tri.device)[:, None, None] * num
    index = (tri[None] + offsets).permute(2, 0, 1).reshape(-1)
    normals = points.new_zeros(batch * num, 3).index_add_(
        0, index,
        face_normals.reshape(1, -1, 3).expand(3, -1, -1).reshape(-1, 3))
    normals = normals.view(batch, num, 3)
    normals = torch.where(normals[..., 2:] < 0, -normals, normals)
    return F.normalize(normals, dim=2)


def _per_batch(value: LightValue, batch: int, width: int, name: str,
               ref: Tensor) -> Tensor:
    """Broadcast a scalar, (width,) or (B, width) light value to (B, width)."""
    value = torch.as_tensor(value, dtype=ref.dtype, device=ref.device)
    if value.ndim == 0:
        value = value.expand(width)
    if value.ndim == 1:
        value = value.expand(batch, -1)
    if value.shape != (batch, width):
        raise ValueError(f'{name} must be a float, ({width},) or ({batch}, '
                         f'{width}), got {tuple(value.shape)}')
    return value


def shade_vertices(vertices: Tensor,
                   tri: Tensor,
                   colors: Tensor,
                   light_dir: LightValue = (0.0, 0.0, 1.0),
                   ambient: LightValue = 0.4,
                   diffuse: LightValue = 0.6) -> Tensor:
    """Lambertian + ambient per-vertex shading.

    ``shaded = colors * (ambient + diffuse * max(0, n . l))`` with ``n`` the
    vertex normal (:func:`vertex_normals`) and ``l`` the unit direction
    towards the light in the vertex frame (x right, y down, z towards the
    camera: ``(0, 0, 1)`` is a light at the camera, ``(0, -1, 1)`` one above
    it).

    Args:
        vertices (Tensor): (B, 3, N) vertices.
        tri (Tensor): (M, 3) 0-based triangles.
        colors (Tensor): (B, N, 3) or (N, 3) albedo in [0, 255].
        light_dir (float sequence | Tensor): (3,) or (B, 3) direction towards
            the light; normalised here. Defaults to ``(0, 0, 1)``.
        ambient (float | sequence | Tensor): Ambient intensity, a float or
            per channel (3,) or (B, 3). Defaults to 0.4.
        diffuse (float | sequence | Tensor): Diffuse intensity, same forms.
            Defaults to 0.6.

    Returns:
        Tensor: (B, N, 3) shaded colours (not clipped).
    """
    _check_mesh(vertices, tri)
    return _shade(vertices, tri, colors, light_dir, ambient, diffuse)


def _shade(vertices: Tensor, tri: Tensor, colors: Tensor,
           light_dir: LightValue, ambient: LightValue,
           diffuse: LightValue) -> Tensor:
    """:func:`shade_vertices` without the mesh checks."""
    batch, num = vertices.shape[0], vertices.shape[2]
    colors = torch.as_tensor(colors, device=vertices.device).to(vertices)
    if colors.ndim == 2:
        colors = colors.expand(batch, -1, -1)
    if colors.shape != (batch, num, 3):
        raise ValueError(f'colors must be ({num}, 3) or ({batch}, {num}, 3) '
                         f'per-vertex colours, got {tuple(colors.shape)}')
    light = F.normalize(
        _per_batch(light_dir, batch, 3, 'light_dir', vertices), dim=1)
    ambient = _per_batch(ambient, batch, 3, 'ambient', vertices)
    diffuse = _per_batch(diffuse, batch, 3, 'diffuse', vertices)
    normals = _vertex_normals(vertices, tri)
    lambert = (normals @ light[:, :, None]).clamp(min=0)  # (B, N, 1)
    return colors * (ambient[:, None] + diffuse[:, None] * lambert)


def _background(background: Optional[Tensor], image_size, batch: int,
                ref: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
    if background is None:
        if image_size is None:
            raise ValueError('give image_size (H, W) or a background image')
        size = _image_size(image_size)
        return ref.new_zeros((batch, ) + size + (3, )), size
    background = torch.as_tensor(background, device=ref.device)
    if background.ndim == 3:
        background = background[None]
    if background.ndim != 4 or background.shape[-1] != 3 or \
            background.shape[0] not in (1, batch):
        raise ValueError('background must be (H, W, 3) or (B, H, W, 3) with '
                         f'B = {batch}, got {tuple(background.shape)}')
    size = _image_size(background.shape[1:3])
    if image_size is not None and _image_size(image_size) != size:
        raise ValueError(f'image_size {tuple(image_size)} differs from the '
                         f'background size {size}')
    return background.to(ref.dtype).expand(batch, -1, -1, -1), size


def render(vertices: Tensor,
           tri: Tensor,
           colors: Tensor,
           background: Optional[Tensor] = None,
           image_size: Optional[Tuple[int, int]] = None,
           light_dir: LightValue = (0.0, 0.0, 1.0),
           ambient: LightValue = 0.4,
           diffuse: LightValue = 0.6,
           alpha: float = 1.0,
           pixel_origin: float = 0.0,
           dtype: torch.dtype = torch.uint8) -> RenderOutput:
    """Render shaded meshes over a background (Gouraud shading).

    Works at any image size: the 120x120 crop of a synthetic face, or a mesh
    overlay on a full photo (vertices mapped with
    :meth:`MorphableModel.crop_to_image`, the photo as ``background``).

    Args:
        vertices (Tensor): (B, 3, N) image-pixel vertices (x right, y down,
            z towards the camera).
        tri (Tensor): (M, 3) 0-based triangles (``MorphableModel.tri``).
        colors (Tensor): (B, N, 3) or (N, 3) albedo in [0, 255], in the
            channel order of the background (BGR in the toolbox).
        background (Tensor, optional): (H, W, 3) or (B, H, W, 3) image in
            [0, 255] (uint8 or float). Black when None. Defaults to None.
        image_size (tuple[int, int], optional): ``(H, W)``; required when
            ``background`` is None. Defaults to None.
        light_dir, ambient, diffuse: Lighting, see :func:`shade_vertices`.
        alpha (float): Opacity of the mesh over the background (1 renders
            it opaque, less blends it as an overlay). Defaults to 1.
        pixel_origin (float): Coordinate of pixel (0, 0)'s centre, see
            :func:`rasterize`. Defaults to 0.
        dtype (torch.dtype): ``torch.uint8`` (rounded) or a float dtype
            (clipped to [0, 255]) for ``image``. Defaults to uint8.

    Returns:
        RenderOutput: image (B, H, W, 3), mask, depth and triangle index.
    """
    _check_mesh(vertices, tri)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    batch = vertices.shape[0]
    vertices = vertices.float()
    background, size = _background(background, image_size, batch, vertices)
    shaded = _shade(vertices, tri, colors, light_dir, ambient, diffuse)
    raster = _rasterize(vertices, tri, size, pixel_origin)
    mask = raster.mask
    tri = tri.to(device=vertices.device, dtype=torch.long)
    pix_b, pix_r, pix_c = mask.nonzero(as_tuple=True)
    corner_colors = shaded[pix_b[:, None],
                           tri[raster.face_index[pix_b, pix_r, pix_c]]]
    pixel_colors = (raster.bary[pix_b, pix_r, pix_c, :, None] *
                    corner_colors).sum(1)
    image = background.clone()
    image[pix_b, pix_r, pix_c] = alpha * pixel_colors + \
        (1.0 - alpha) * image[pix_b, pix_r, pix_c]
    image = image.clamp(0, 255)
    image = image.round().to(torch.uint8) if dtype == torch.uint8 else \
        image.to(dtype)
    return RenderOutput(image, mask, raster.depth, raster.face_index)
