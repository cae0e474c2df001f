"""Overlays, renders, mesh files and JSON of a real reconstruction."""
import json

import cv2
import numpy as np
import pytest
import torch

from mmface3d.apis import (draw_dense, draw_landmarks, face_record,
                           image_record, inference_model, render_faces,
                           save_mesh, write_json)
from mmface3d.visualization import Face3DLocalVisualizer


@pytest.fixture(scope='module')
def face(tddfa_v2, aflw_slice):
    image = cv2.imread(aflw_slice['paths'][0])
    faces = inference_model(tddfa_v2, image,
                            roi_boxes=aflw_slice['roi_box'][0])
    return image, faces


def test_renders_cover_the_face_only(face):
    image, faces = face
    vertices = faces[0].pred_vertices.numpy()
    x0, y0 = np.floor(vertices[:, :2].min(0)).astype(int)
    x1, y1 = np.ceil(vertices[:, :2].max(0)).astype(int)
    visualizer = Face3DLocalVisualizer()
    for mode in ('depth', 'pncc'):
        out = render_faces(image, faces, mode)
        drawn = out.any(2)
        rows, cols = np.nonzero(drawn)
        assert drawn.sum() > 0.3 * (x1 - x0) * (y1 - y0)
        assert rows.min() >= y0 and rows.max() <= y1
        assert cols.min() >= x0 and cols.max() <= x1
    depth = render_faces(image, faces, 'depth')
    # the nose tip (landmark 30) is nearer, so brighter, than the cheek
    # contour (landmark 2)
    nose, cheek = (np.round(faces[0].pred_landmarks[k, :2].numpy()).astype(
        int) for k in (30, 2))
    assert depth[nose[1], nose[0], 0] > depth[cheek[1], cheek[0] + 3, 0]
    shaded = render_faces(image, faces, 'shaded', visualizer)
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1 + 1, x0:x1 + 1] = False
    np.testing.assert_array_equal(shaded[outside], image[outside])
    with pytest.raises(ValueError, match='mode'):
        render_faces(image, faces, 'wireframe')


def test_overlays_change_pixels_at_the_points(face):
    image, faces = face
    visualizer = Face3DLocalVisualizer()
    drawn = draw_landmarks(image, faces, visualizer, with_axes=False)
    x, y = np.round(faces[0].pred_landmarks[8, :2].numpy()).astype(int)
    assert tuple(drawn[y, x]) == visualizer.pred_color
    dense = draw_dense(image, faces, step=1)
    assert (dense != image).any(2).sum() > 1000


def test_mesh_file_has_the_photo_colours(face, tmp_path):
    image, faces = face
    path = save_mesh(tmp_path / 'face.obj', faces[0], image)
    rows = [line.split() for line in path.read_text().splitlines()
            if line.startswith('v ')]
    assert len(rows) == faces[0].pred_vertices.shape[0]
    k = 1000
    x, y = np.round(faces[0].pred_vertices[k, :2].numpy()).astype(int)
    colour = np.array(rows[k][4:], float) * 255
    # bilinear sample at a vertex vs the nearest pixel: close
    np.testing.assert_allclose(colour, image[y, x, ::-1], atol=40)
    assert save_mesh(tmp_path / 'face.ply', faces[0]).stat().st_size > 0
    with pytest.raises(ValueError, match='.obj or .ply'):
        save_mesh(tmp_path / 'face.stl', faces[0])


def test_json_record(face, tmp_path):
    image, faces = face
    record = image_record(faces, 'x.jpg', image.shape[:2])
    path = write_json(tmp_path / 'x.json', record)
    back = json.loads(path.read_text())
    assert back['width'] == 450 and len(back['faces']) == 1
    one = back['faces'][0]
    assert one == json.loads(json.dumps(face_record(faces[0])))
    np.testing.assert_allclose(one['landmarks_2d'],
                               faces[0].pred_landmarks[:, :2].numpy(),
                               atol=0.006)
    assert one['pose']['yaw'] == pytest.approx(
        faces[0].pred_pose[0].item(), abs=0.006)
    assert len(one['params']) == 62 and one['landmark_source'] is None
    assert image_record([], 'y.jpg', (10, 20))['faces'] == []
    assert torch.is_tensor(faces[0].bbox)
