"""Mesh export re-imported by small independent parsers."""
import numpy as np
import pytest
import torch

from mmface3d.morphable import MorphableModel
from mmface3d.utils import save_obj, save_ply


def parse_obj(path):
    verts, faces = [], []
    for line in path.read_text().splitlines():
        kind, *values = line.split()
        if kind == 'v':
            verts.append([float(v) for v in values])
        elif kind == 'f':
            faces.append([int(v) for v in values])
    return np.array(verts), np.array(faces)


def parse_ply(path):
    data = path.read_bytes()
    head, body = data.split(b'end_header\n', 1)
    lines = head.decode().splitlines()
    assert lines[1] == 'format binary_little_endian 1.0'
    counts = {line.split()[1]: int(line.split()[2]) for line in lines
              if line.startswith('element')}
    has_color = 'property uchar red' in lines
    vdtype = [('xyz', '<f4', (3, ))] + ([('rgb', 'u1', (3, ))]
                                        if has_color else [])
    verts = np.frombuffer(body, vdtype, counts['vertex'])
    faces = np.frombuffer(body, [('n', 'u1'), ('ids', '<i4', (3, ))],
                          counts['face'], offset=verts.nbytes)
    return verts, faces, counts


@pytest.fixture(scope='module')
def mean_face(data_root):
    model = MorphableModel()
    params = torch.zeros(1, 62)
    # Frontal camera at the typical benchmark scale.
    params[0, [0, 5, 10]] = 8e-4
    params[0, [3, 7]] = torch.tensor([60.0, 60.0])
    verts = model.reconstruct(params)[0].T
    tex = np.random.default_rng(0).uniform(0, 255, (len(verts), 3))
    return model, verts, tex


def nose_normal(verts, faces, model):
    """Mean unit normal of the triangles around the nose tip."""
    tri = verts[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    tip = verts[int(model.keypoints[30])]
    near = np.linalg.norm(tri.mean(1) - tip, axis=1) < 5
    assert near.sum() > 20
    mean = normals[near].mean(0)
    return mean / np.linalg.norm(mean)


def test_obj_round_trip(tmp_path, mean_face):
    model, verts, tex = mean_face
    path = tmp_path / 'face.obj'
    save_obj(path, verts, model.tri, colors=tex)
    v, f = parse_obj(path)
    assert v.shape == (model.num_vertices, 6)
    assert f.shape == (model.tri.shape[0], 3)
    assert f.min() == 1 and f.max() == model.num_vertices
    np.testing.assert_allclose(v[:, 3:], tex / 255, atol=1e-6)
    # Viewer frame: y up, the face looks at the viewer on +z.
    np.testing.assert_allclose(v[:, 1], -verts[:, 1].numpy(), atol=1e-4)
    normal = nose_normal(v[:, :3], f - 1, model)
    assert normal[2] > 0.8


def test_ply_round_trip(tmp_path, mean_face):
    model, verts, tex = mean_face
    path = tmp_path / 'face.ply'
    save_ply(path, verts, model.tri, colors=tex)
    v, f, counts = parse_ply(path)
    assert counts == {'vertex': model.num_vertices,
                      'face': model.tri.shape[0]}
    assert (f['n'] == 3).all()
    np.testing.assert_array_equal(v['rgb'], np.round(tex).astype('u1'))
    normal = nose_normal(v['xyz'].astype(np.float64), f['ids'], model)
    assert normal[2] > 0.8
    save_ply(tmp_path / 'plain.ply', verts, model.tri)
    _, _, counts = parse_ply(tmp_path / 'plain.ply')
    assert counts['vertex'] == model.num_vertices


def test_export_shape_errors(tmp_path):
    with pytest.raises(ValueError, match=r'vertices must be \(N, 3\)'):
        save_obj(tmp_path / 'x.obj', np.zeros((4, 2)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match='0-based'):
        save_obj(tmp_path / 'x.obj', np.zeros((4, 3)), [[1, 2, 4]])
    with pytest.raises(ValueError, match='colors'):
        save_ply(tmp_path / 'x.ply', np.zeros((4, 3)), [[0, 1, 2]],
                 colors=np.zeros((3, 3)))


@pytest.mark.parametrize('bad', [np.nan, np.inf, -np.inf])
def test_non_finite_params_build_no_mesh(mean_face, bad):
    """Params of a diverged model: refused where a mesh is produced,
    naming the samples."""
    model = mean_face[0]
    params = torch.zeros(4, 62)
    params[:, [0, 5, 10]] = 8e-4
    params[1, 20] = bad
    params[3, 0] = bad
    with pytest.raises(ValueError,
                       match=r'params of samples \[1, 3\] hold NaN or inf'):
        model.reconstruct(params)
    assert torch.isfinite(model.reconstruct(params[[0, 2]])).all()


@pytest.mark.parametrize('save,name', [(save_obj, 'face.obj'),
                                       (save_ply, 'face.ply')])
def test_non_finite_vertices_write_no_file(tmp_path, mean_face, save, name):
    model, verts, tex = mean_face
    verts = verts.clone()
    verts[[5, 9, 9], [0, 1, 2]] = torch.tensor([np.nan, np.inf, np.nan])
    path = tmp_path / name
    with pytest.raises(ValueError, match=f'2 of {model.num_vertices} '
                       'vertices hold NaN or inf'):
        save(path, verts, model.tri, colors=tex)
    assert not path.exists()
    colors = tex.copy()
    colors[0, 0] = np.nan
    with pytest.raises(ValueError, match='colors must be finite'):
        save(path, mean_face[1], model.tri, colors=colors)
    assert not path.exists()
