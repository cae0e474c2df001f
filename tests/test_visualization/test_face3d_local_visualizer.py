"""Face3DLocalVisualizer: where landmarks, box, pose axes and mesh land on
the original image."""
import mmcv
import numpy as np
import pytest
import torch

from mmface3d.evaluation import load_aflw2000_gt_params
from mmface3d.structures import Face3DDataSample
from mmface3d.visualization import Face3DLocalVisualizer

GT_COLOR, PRED_COLOR, BOX_COLOR = (0, 0, 255), (0, 255, 0), (255, 255, 0)


def sample(roi_box, **fields):
    data = Face3DDataSample(
        metainfo=dict(roi_box=np.asarray(roi_box, np.float32)))
    for key, value in fields.items():
        data.set_field(torch.as_tensor(value, dtype=torch.float32), key)
    return data


def test_landmarks_and_box_without_mesh(tmp_path):
    """Box [10, 20, 70, 100]: crop point (60, 60) is image (40, 60); with no
    morphable model the points are 0-based pixel coordinates."""
    vis = Face3DLocalVisualizer(name='vis_points', radius=1)
    assert vis.pixel_origin == 0.0
    gt = np.full((68, 2), 60.0)
    pred = np.zeros((68, 3))
    pred[:, :2] = (25.0, 75.0)
    out = tmp_path / 'drawn.png'
    drawn = vis.add_datasample(
        'a',
        np.zeros((120, 100, 3), np.uint8),
        sample([10, 20, 70, 100], gt_landmarks_2d=gt, pred_landmarks=pred),
        out_file=str(out))
    assert tuple(drawn[60, 40]) == GT_COLOR
    assert tuple(drawn[75, 25]) == PRED_COLOR
    assert tuple(drawn[20, 50]) == BOX_COLOR  # top edge of the box
    assert tuple(drawn[50, 70]) == BOX_COLOR  # right edge
    assert tuple(drawn[5, 5]) == (0, 0, 0)
    assert np.array_equal(mmcv.imread(str(out)), drawn)
    no_gt = vis.add_datasample(
        'b',
        np.zeros((120, 100, 3), np.uint8),
        sample([10, 20, 70, 100], gt_landmarks_2d=gt, pred_landmarks=pred),
        draw_gt=False,
        out_file=str(tmp_path / 'no_gt.png'))
    assert tuple(no_gt[60, 40]) == (0, 0, 0)


@pytest.fixture(scope='module')
def v1_visualizer(data_root):
    return Face3DLocalVisualizer(
        name='vis_mesh',
        radius=1,
        morphable_model=dict(
            type='MorphableModel', param_stats=None,
            data_root=str(data_root)))


def test_mesh_points_and_axes_share_the_v1_frame(v1_visualizer, data_root,
                                                 tmp_path):
    """v1 points are 1-based: the landmark at (x, y) is pixel (x-1, y-1),
    the pixel the renderer puts that vertex on. A frontal pose draws the
    x axis (red) to the right of the nose tip."""
    vis = v1_visualizer
    model = vis.morphable_model
    assert vis.pixel_origin == 1.0
    params = load_aflw2000_gt_params(model, data_root=data_root)[:1]
    roi_box = np.load(data_root / 'aflw2000_3d/annotations' /
                      'AFLW2000-3D_crop.roi_box.npy')[:1].astype(np.float32)
    landmarks = model.crop_to_image(
        model.landmarks(params), torch.from_numpy(roi_box))[0].T.numpy()
    image = np.zeros((450, 450, 3), np.uint8)
    mesh_only = vis.add_datasample(
        'mesh', image, sample(roi_box[0], pred_params=params[0]),
        out_file=str(tmp_path / 'mesh.png'))
    nose = np.round(landmarks[30, :2] - 1).astype(int)
    assert mesh_only[nose[1], nose[0]].min() > 0  # grey mesh on the nose
    assert tuple(mesh_only[2, 2]) == (0, 0, 0)

    drawn = vis.add_datasample(
        'all', image,
        sample(roi_box[0], pred_params=params[0], pred_landmarks=landmarks,
               pred_pose=np.zeros(3)),
        out_file=str(tmp_path / 'all.png'))
    chin = np.round(landmarks[8, :2] - 1).astype(int)
    assert tuple(drawn[chin[1], chin[0]]) == PRED_COLOR
    length = 0.3 * (roi_box[0, 2] - roi_box[0, 0])
    tip = nose + [int(length / 2), 0]
    assert tuple(drawn[tip[1], tip[0]]) == (0, 0, 255)
