"""Face3DLocalVisualizer: where landmarks, crop outline, pose axes and mesh
land on the original image, for plain and rotated crops."""
import mmcv
import numpy as np
import pytest
import torch

from mmface3d.morphable import (MorphableModel, fit_to_params, load_fit_mat,
                                transform_params)
from mmface3d.structures import Face3DDataSample
from mmface3d.visualization import Face3DLocalVisualizer

GT_COLOR, PRED_COLOR = (0, 0, 255), (0, 255, 0)
BLACK = (0, 0, 0)
ANN = 'aflw2000_3d/annotations'
# the v1 full model, as a predicting head names it in its samples' metainfo
V1_MESH = dict(type='MorphableModel', model_path='bfm', layout='3ddfa',
               param_stats=None, n_shape=40, n_exp=10, convention='v1',
               crop_size=120)


def sample(crop_affine, metainfo=None, **fields):
    data = Face3DDataSample(
        metainfo=dict(
            crop_affine=np.asarray(crop_affine, np.float32),
            img_shape=(120, 120),
            **(metainfo or {})))
    for key, value in fields.items():
        data.set_field(torch.as_tensor(value, dtype=torch.float32), key)
    return data


def box_crop_affine(box):
    """(2, 3) image-to-crop map of a box, ``q = (p - start) * 120 / size``.
    """
    sx, sy, ex, ey = np.asarray(box, np.float64)
    a, b = 120 / (ex - sx), 120 / (ey - sy)
    return np.array([[a, 0, -a * sx], [0, b, -b * sy]])


def rotated_crop_affine(box, degrees):
    """The box crop, then turned by ``degrees`` about the crop centre."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    rot = np.array([[c, -s], [s, c]])
    plain = box_crop_affine(box)
    return np.concatenate([
        rot @ plain[:, :2],
        (rot @ (plain[:, 2] - 60) + 60)[:, None]
    ], 1)


def to_image(crop_affine, points):
    """(N, 2) crop points -> image points through the inverse map."""
    linear, shift = crop_affine[:, :2], crop_affine[:, 2]
    return np.linalg.solve(linear, (np.asarray(points) - shift).T).T


def outline_mask(drawn):
    """Pixels of the crop outline on a black image: cyan (B = G, R = 0),
    bright where the anti-aliased line passes."""
    return (drawn[..., 0] > 150) & (drawn[..., 0] == drawn[..., 1]) & (
        drawn[..., 2] == 0)


def near(mask, xy, reach=1):
    """Whether ``mask`` is set within ``reach`` pixels of (x, y)."""
    x, y = np.round(xy).astype(int)
    return mask[y - reach:y + reach + 1, x - reach:x + reach + 1].any()


def test_landmarks_and_crop_without_mesh(tmp_path):
    """Box [10, 20, 70, 100], no morphable model anywhere: points are
    0-based pixel coordinates, the outline is the box."""
    vis = Face3DLocalVisualizer(name='vis_points', radius=1)
    affine = box_crop_affine([10, 20, 70, 100])
    gt = np.full((68, 2), 40.0)
    gt[:, 1] = 60.0
    pred = np.zeros((68, 3))
    pred[:, :2] = (25.0, 75.0)
    out = tmp_path / 'drawn.png'
    drawn = vis.add_datasample(
        'a',
        np.zeros((120, 100, 3), np.uint8),
        sample(affine, gt_landmarks_img=gt, pred_landmarks=pred),
        out_file=str(out))
    assert tuple(drawn[60, 40]) == GT_COLOR
    assert tuple(drawn[75, 25]) == PRED_COLOR
    outline = outline_mask(drawn)
    assert outline[20, 50] and outline[100, 30]  # top and bottom edges
    assert outline[50, 70] and outline[80, 10]  # right and left edges
    assert tuple(drawn[5, 5]) == BLACK
    assert np.array_equal(mmcv.imread(str(out)), drawn)
    no_gt = vis.add_datasample(
        'b',
        np.zeros((120, 100, 3), np.uint8),
        sample(affine, gt_landmarks_img=gt, pred_landmarks=pred),
        draw_gt=False,
        out_file=str(tmp_path / 'no_gt.png'))
    assert tuple(no_gt[60, 40]) == BLACK


def test_hidden_gt_points_are_not_drawn(tmp_path):
    vis = Face3DLocalVisualizer(name='vis_hidden', radius=1)
    gt = np.array([[30.0, 30.0], [60.0, 60.0]])
    drawn = vis.add_datasample(
        'hidden',
        np.zeros((100, 100, 3), np.uint8),
        sample(box_crop_affine([0, 0, 100, 100]), gt_landmarks_img=gt,
               gt_landmarks_img_visible=[1, 0]),
        out_file=str(tmp_path / 'hidden.png'))
    assert tuple(drawn[30, 30]) == GT_COLOR
    assert tuple(drawn[60, 60]) == BLACK


@pytest.fixture(scope='module')
def face(data_root):
    """AFLW2000-3D image 0: its image-frame GT params (v1, float32), the
    released box and the annotated 68 points (1-based pixels)."""
    name = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()[0]
    fit = load_fit_mat(data_root / 'aflw2000_3d/AFLW2000' /
                       name.replace('.jpg', '.mat'))

    def row(key):
        return torch.from_numpy(fit[key])[None]

    return dict(
        params_img=fit_to_params(row('pose_para'), row('shape_para'),
                                 row('exp_para'), 450.0).float(),
        box=np.load(data_root / ANN / 'AFLW2000-3D_crop.roi_box.npy')[0],
        pts68=np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy')[0, :2].T)


@pytest.mark.parametrize('source', ['metainfo', 'configured'])
def test_mesh_points_and_axes_share_the_v1_frame(face, data_root, tmp_path,
                                                 source):
    """The model comes from the sample's ``pred_morphable_model`` (or the
    visualizer's config). v1 points are 1-based: the landmark at (x, y) is
    pixel (x-1, y-1), the pixel the renderer puts that vertex on. A frontal
    pose draws the x axis (red) to the right of the nose tip."""
    if source == 'metainfo':
        vis = Face3DLocalVisualizer(name='vis_mesh_meta', radius=1,
                                    data_root=str(data_root))
        meta = dict(pred_morphable_model=V1_MESH)
    else:
        vis = Face3DLocalVisualizer(name='vis_mesh_cfg', radius=1,
                                    morphable_model=V1_MESH,
                                    data_root=str(data_root))
        meta = {}
    affine = box_crop_affine(face['box'])
    params = transform_params(face['params_img'],
                              torch.from_numpy(affine)[None].float())[0]
    # the GT points are where the fit's 68 points are, within the 40 + 10
    # component truncation (REFERENCE section 3: ~1 % of the face size)
    landmarks = MorphableModel(param_stats=None).landmarks(
        face['params_img'])[0].T.numpy()
    assert np.abs(landmarks[:, :2] - face['pts68']).mean() < 3

    image = np.zeros((450, 450, 3), np.uint8)
    mesh_only = vis.add_datasample(
        'mesh', image, sample(affine, meta, pred_params=params),
        out_file=str(tmp_path / 'mesh.png'))
    for k in (30, 36, 45, 62):  # nose tip, eye corners, mouth centre
        x, y = np.round(landmarks[k, :2] - 1).astype(int)
        assert mesh_only[y, x].min() > 0, k  # grey mesh
    assert tuple(mesh_only[2, 2]) == BLACK

    drawn = vis.add_datasample(
        'all', image,
        sample(affine, meta, pred_params=params, pred_landmarks=landmarks,
               pred_pose=np.zeros(3)),
        out_file=str(tmp_path / 'all.png'))
    chin = np.round(landmarks[8, :2] - 1).astype(int)
    assert tuple(drawn[chin[1], chin[0]]) == PRED_COLOR
    nose = np.round(landmarks[30, :2] - 1).astype(int)
    length = 0.3 * (face['box'][2] - face['box'][0])
    tip = nose + [int(length / 2), 0]
    assert tuple(drawn[tip[1], tip[0]]) == (0, 0, 255)


def test_gt_overlay_and_outline_of_a_rotated_crop(face, data_root, tmp_path):
    """A crop turned by 20 degrees: the GT overlay is drawn from
    ``gt_landmarks_img`` (image pixels, 1-based for the v1 model), the
    outline is the turned square, and the mesh of params predicted in the
    turned crop lands on the face."""
    vis = Face3DLocalVisualizer(name='vis_rotated', radius=1,
                                data_root=str(data_root))
    affine = rotated_crop_affine(face['box'], 20.0)
    meta = dict(pred_morphable_model=V1_MESH)
    image = np.zeros((450, 450, 3), np.uint8)
    drawn = vis.add_datasample(
        'gt', image,
        sample(affine, meta, gt_landmarks_img=face['pts68']),
        draw_pred=False, out_file=str(tmp_path / 'gt.png'))
    red = (drawn == GT_COLOR).all(2)
    for x, y in np.round(face['pts68'] - 1).astype(int):
        assert red[y, x]
    # every red pixel is within the radius of a GT point
    ys, xs = np.nonzero(red)
    dist = np.linalg.norm(
        np.stack([xs, ys], 1)[:, None] - (face['pts68'] - 1)[None], axis=2)
    assert dist.min(1).max() < 2.5
    # the outline: midpoints of the crop's edges, mapped back to the image
    outline = outline_mask(drawn)
    for mid in ([60, 0], [120, 60], [60, 120], [0, 60]):
        assert near(outline, to_image(affine, [mid])[0] - 1)
    # not the edges of the unrotated box
    sx, sy, ex, ey = face['box']
    assert not near(outline, [sx + 0.1 * (ex - sx) - 1, sy - 1])

    params = transform_params(face['params_img'],
                              torch.from_numpy(affine)[None].float())[0]
    mesh = vis.add_datasample(
        'mesh', image, sample(affine, meta, pred_params=params),
        draw_gt=False, out_file=str(tmp_path / 'mesh.png'))
    for k in (30, 36, 45, 62):
        x, y = np.round(face['pts68'][k] - 1).astype(int)
        assert mesh[y, x].min() > 0, k
