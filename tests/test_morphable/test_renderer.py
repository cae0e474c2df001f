import math

import numpy as np
import pytest
import torch
from scipy.ndimage import binary_fill_holes

from mmface3d.morphable.renderer import (rasterize, render, shade_vertices,
                                         vertex_normals)

QUAD_TRI = torch.tensor([[0, 1, 2], [0, 2, 3]])


def quad(x0, y0, x1, y1, z=(5.0, 5.0, 5.0, 5.0)):
    """(1, 3, 4) corners of an axis-aligned quad, counter-clockwise."""
    return torch.tensor([[x0, x1, x1, x0], [y0, y0, y1, y1], list(z)],
                        dtype=torch.float32)[None]


def test_flat_quad_lambertian(device):
    """A quad facing the camera: colour * (ambient + diffuse * l_z)."""
    verts = quad(10, 10, 30, 30).to(device)
    color = torch.tensor([100.0, 150.0, 200.0]).expand(4, 3)
    out = render(
        verts,
        QUAD_TRI,
        color,
        image_size=(40, 50),
        light_dir=(3.0, 0.0, 4.0),  # unit (0.6, 0, 0.8)
        ambient=0.2,
        diffuse=0.5,
        dtype=torch.float32)
    assert out.image.shape == (1, 40, 50, 3)
    assert out.image.device.type == device.type
    expected = torch.zeros(40, 50, 3)
    # Pixel centres x = col, y = row; the quad's borders are included.
    expected[10:31, 10:31] = torch.tensor([100.0, 150.0, 200.0]) * 0.6
    torch.testing.assert_close(out.image[0].cpu(), expected)
    assert out.mask[0].sum() == 21 * 21
    assert torch.all(out.depth[0][out.mask[0]] == 5.0)
    assert torch.isinf(out.depth[0][~out.mask[0]]).all()
    assert set(out.face_index[0].unique().tolist()) == {-1, 0, 1}


def test_tilted_plane_cosine(device):
    """The plane z = x has unit normal (-1, 0, 1) / sqrt(2): a light at the
    camera gives cos 45 degrees, per-channel ambient adds on top."""
    verts = quad(0, 0, 20, 20, z=(0, 20, 20, 0)).to(device)
    out = render(
        verts,
        QUAD_TRI,
        torch.full((4, 3), 200.0),
        image_size=(21, 21),
        ambient=(0.1, 0.0, 0.2),
        diffuse=1.0,
        dtype=torch.float32)
    expected = 200.0 * (torch.tensor([0.1, 0.0, 0.2]) + math.sqrt(0.5))
    torch.testing.assert_close(
        out.image[0].reshape(-1, 3).cpu(), expected.expand(21 * 21, 3))
    # Depth is interpolated exactly: z = x = column.
    torch.testing.assert_close(out.depth[0].cpu(),
                               torch.arange(21.0).expand(21, 21))


def test_light_behind_surface_gives_ambient_only():
    verts = quad(0, 0, 9, 9)
    out = render(
        verts,
        QUAD_TRI,
        torch.full((4, 3), 100.0),
        image_size=(10, 10),
        light_dir=(1.0, 0.0, -1.0),
        ambient=0.3,
        diffuse=0.7,
        dtype=torch.float32)
    assert torch.allclose(out.image, torch.tensor(30.0))


@pytest.mark.parametrize('z_red,z_blue', [(2.0, 1.0), (-3.0, -5.0),
                                          (0.5, -0.5)])
def test_z_test_keeps_nearer(device, z_red, z_blue):
    """Larger z is nearer, for positive, negative and mixed depths, and
    whatever the order of the triangles."""
    # Two quads overlapping on columns / rows 10..20.
    verts = torch.cat([
        quad(0, 0, 20, 20, z=(z_red, ) * 4),
        quad(10, 10, 30, 30, z=(z_blue, ) * 4)
    ], 2).to(device)
    colors = torch.tensor([[0.0, 0.0, 250.0]] * 4 + [[250.0, 0.0, 0.0]] * 4)
    red_first = torch.cat([QUAD_TRI, QUAD_TRI + 4])
    for tri in (red_first, red_first.flip(0)):
        out = render(
            verts,
            tri,
            colors,
            image_size=(32, 32),
            ambient=1.0,
            diffuse=0.0)
        image = out.image[0].cpu()
        assert (image[15, 15] == torch.tensor([0, 0, 250],
                                              dtype=torch.uint8)).all()
        assert (image[25, 25] == torch.tensor([250, 0, 0],
                                              dtype=torch.uint8)).all()
        assert out.depth[0, 15, 15] == z_red
        assert out.depth[0, 25, 25] == z_blue


def _reference_raster(verts, tri, height, width):
    """Slow per-pixel loop: nearest triangle containing each pixel centre."""
    pts = verts[0].double().numpy()
    depth = np.full((height, width), -np.inf)
    for r in range(height):
        for c in range(width):
            for a, b, d in tri.tolist():
                xa, xb, xd = pts[0, [a, b, d]]
                ya, yb, yd = pts[1, [a, b, d]]
                area = (xb - xa) * (yd - ya) - (xd - xa) * (yb - ya)
                w_b = ((c - xa) * (yd - ya) - (xd - xa) * (r - ya)) / area
                w_d = ((xb - xa) * (r - ya) - (c - xa) * (yb - ya)) / area
                w_a = 1 - w_b - w_d
                if min(w_a, w_b, w_d) >= 0:
                    z = w_a * pts[2, a] + w_b * pts[2, b] + w_d * pts[2, d]
                    depth[r, c] = max(depth[r, c], z)
    return depth


def test_matches_reference_loop():
    gen = torch.Generator().manual_seed(0)
    verts = torch.rand(1, 3, 36, generator=gen) * torch.tensor(
        [[[14.0], [11.0], [10.0]]]) - 1.0
    tri = torch.arange(36).view(12, 3)
    raster = rasterize(verts, tri, (10, 12))
    expected = _reference_raster(verts, tri, 10, 12)
    assert (raster.mask[0].numpy() == np.isfinite(expected)).all()
    covered = raster.mask[0].numpy()
    np.testing.assert_allclose(
        raster.depth[0].numpy()[covered], expected[covered], atol=1e-4)
    # Barycentric weights sum to one on covered pixels.
    torch.testing.assert_close(raster.bary[0][raster.mask[0]].sum(1),
                               torch.ones(int(covered.sum())))


def test_no_cracks_on_shared_edges():
    """A grid mesh whose diagonals run through pixel centres covers every
    pixel of its square, in either winding."""
    step, cells = 2, 10
    coords = torch.arange(cells + 1) * step
    ys, xs = torch.meshgrid(coords, coords, indexing='ij')
    verts = torch.stack(
        [xs.flatten(), ys.flatten(),
         torch.zeros(xs.numel())]).float()[None]
    ids = torch.arange((cells + 1)**2).view(cells + 1, cells + 1)
    a, b = ids[:-1, :-1].flatten(), ids[:-1, 1:].flatten()
    c, d = ids[1:, 1:].flatten(), ids[1:, :-1].flatten()
    tri = torch.cat([torch.stack([a, b, c], 1), torch.stack([a, d, c], 1)])
    raster = rasterize(verts, tri, (25, 25))
    side = cells * step + 1
    assert raster.mask[0, :side, :side].all()
    assert raster.mask[0].sum() == side * side


def test_pixel_origin():
    """With 1-based coordinates a vertex at (1, 1) lies on pixel (0, 0)."""
    verts = quad(1, 1, 3, 3)
    zero = rasterize(verts, QUAD_TRI, (5, 5)).mask[0]
    one = rasterize(verts, QUAD_TRI, (5, 5), pixel_origin=1.0).mask[0]
    assert zero[1:4, 1:4].all() and zero.sum() == 9
    assert one[0:3, 0:3].all() and one.sum() == 9


def test_overlay_on_background():
    """A half-transparent overlay on a non-square uint8 photo."""
    gen = torch.Generator().manual_seed(1)
    background = torch.randint(
        0, 256, (50, 80, 3), generator=gen, dtype=torch.uint8)
    verts = quad(20, 5, 60, 40)
    out = render(
        verts,
        QUAD_TRI,
        torch.full((4, 3), 200.0),
        background=background,
        ambient=1.0,
        diffuse=0.0,
        alpha=0.5)
    assert out.image.shape == (1, 50, 80, 3)
    assert out.image.dtype == torch.uint8
    mask = out.mask[0]
    assert mask[5:41, 20:61].all() and mask.sum() == 36 * 41
    assert torch.equal(out.image[0][~mask], background[~mask])
    expected = 0.5 * 200.0 + 0.5 * background[mask].float()
    # Exact halves may round either way.
    assert (out.image[0][mask].float() - expected).abs().max() <= 0.5


def test_batch_matches_single():
    gen = torch.Generator().manual_seed(2)
    verts = torch.rand(3, 3, 30, generator=gen) * 20
    tri = torch.randint(0, 30, (25, 3), generator=gen)
    colors = torch.rand(3, 30, 3, generator=gen) * 255
    light = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0],
                          [0.0, -1.0, 1.0]])
    batch = render(
        verts, tri, colors, image_size=(20, 20), light_dir=light)
    for i in range(3):
        single = render(
            verts[i:i + 1],
            tri,
            colors[i],
            image_size=(20, 20),
            light_dir=light[i])
        for name in ('image', 'mask', 'depth', 'face_index'):
            assert torch.equal(
                getattr(batch, name)[i], getattr(single, name)[0]), name


def test_vertex_normals_face_camera():
    """Normals are unit and turned towards +z whatever the winding."""
    verts = quad(0, 0, 10, 10, z=(0, 10, 10, 0))
    for tri in (QUAD_TRI, QUAD_TRI.flip(1)):
        normals = vertex_normals(verts, tri)
        torch.testing.assert_close(
            normals[0],
            torch.tensor([-1.0, 0.0, 1.0]).expand(4, 3) / math.sqrt(2))
    shaded = shade_vertices(
        verts, QUAD_TRI, torch.full((4, 3), 10.0), ambient=0, diffuse=1)
    torch.testing.assert_close(shaded, torch.full((1, 4, 3),
                                                  10 / math.sqrt(2)))


def test_invalid_inputs():
    verts = quad(0, 0, 5, 5)
    with pytest.raises(ValueError, match=r'\(B, 3, N\)'):
        render(verts[0], QUAD_TRI, torch.ones(4, 3), image_size=(8, 8))
    with pytest.raises(ValueError, match='0-based'):
        render(verts, QUAD_TRI + 1, torch.ones(4, 3), image_size=(8, 8))
    with pytest.raises(ValueError, match='colors'):
        render(verts, QUAD_TRI, torch.ones(5, 3), image_size=(8, 8))
    with pytest.raises(ValueError, match='image_size'):
        render(verts, QUAD_TRI, torch.ones(4, 3))
    with pytest.raises(ValueError, match='NaN'):
        render(verts * float('nan'), QUAD_TRI, torch.ones(4, 3),
               image_size=(8, 8))
    with pytest.raises(ValueError, match='background'):
        render(verts, QUAD_TRI, torch.ones(4, 3),
               background=torch.zeros(8, 8))


@pytest.fixture(scope='module')
def bfm(data_root):
    from mmface3d.morphable import MorphableModel
    return MorphableModel(data_root=str(data_root))


@pytest.mark.parametrize('yaw,size', [(0.0, 120), (60.0, 120), (-30.0, 480)])
def test_bfm_face_has_no_holes(bfm, yaw, size):
    """A neutral BFM face covers its silhouette: the only enclosed
    background is the slit between the lips (the mesh is open there)."""
    from mmface3d.morphable import pose_to_camera
    params = torch.zeros(1, bfm.num_params)
    lm0 = bfm.landmarks(torch.cat(
        [bfm.param_mean[None, :12], params[:, 12:]], 1))[0]
    # Scale the landmarks to about 0.6 of the image, centred.
    scale = float(bfm.param_mean[:3].norm()) * 0.6 * size / float(
        (lm0[:2].amax(1) - lm0[:2].amin(1)).max())
    camera = pose_to_camera(
        torch.tensor([[yaw, 0.0, 0.0]]), torch.tensor([scale]),
        torch.zeros(1, 3))
    params[:, :12] = camera.reshape(1, 12)
    verts = bfm.reconstruct(params)
    shift = size / 2 - (verts.amax(2) + verts.amin(2))[:, :2] / 2
    verts[:, :2] += shift[..., None]
    out = render(verts, bfm.tri, torch.full((bfm.num_vertices, 3), 180.0),
                 image_size=(size, size))
    mask = out.mask[0].numpy()
    holes = binary_fill_holes(mask) & ~mask
    lips = bfm.landmarks(params)[0, :2, 60:68] + shift[0, :, None]
    (x0, y0), (x1, y1) = lips.amin(1) - 2, lips.amax(1) + 2
    rows, cols = np.nonzero(holes)
    assert ((cols >= float(x0)) & (cols <= float(x1)) & (rows >= float(y0))
            & (rows <= float(y1))).all()
    assert holes.sum() < 0.01 * mask.sum()
    assert mask.sum() > 0.2 * size * size
