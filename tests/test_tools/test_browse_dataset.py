"""tools/misc/browse_dataset.py: drawing, index resolution and a grid of the
synthetic set built from its config."""
import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

TOOL = 'misc/browse_dataset.py'
CONFIG = 'configs/_base_/datasets/synthetic_faces.py'


def test_draw_sample_places_points(tool):
    """1-based landmark (4, 6) is pixel (row 5, col 3): centre (10, 16) of
    the 3x tile; the map's +1 pixel (2, 7) is outlined at rows 6..8,
    cols 21..23."""
    landmarks = np.zeros((68, 2), np.float32) + 1
    landmarks[0] = (4, 6)
    landmark_map = -np.ones((10, 10), np.float32)
    landmark_map[2, 7] = 1
    tile = tool.draw_sample(
        dict(
            img=np.zeros((10, 10, 3), np.uint8),
            gt_landmarks_2d=landmarks,
            landmark_map=landmark_map),
        scale=3,
        origin=1.0)
    assert tile.shape == (30, 30, 3)
    assert tuple(tile[16, 10]) == tool.GT_COLOR
    assert tuple(tile[6, 21]) == tool.MAP_COLOR
    assert tuple(tile[8, 23]) == tool.MAP_COLOR
    assert tuple(tile[16, 25]) == (0, 0, 0)


def test_detector_points_drawn_when_different(tool):
    gt = np.full((68, 2), 5.0, np.float32)
    detected = gt.copy()
    detected[0] = (2.0, 2.0)
    tile = tool.draw_sample(
        dict(
            img=np.zeros((10, 10, 3), np.uint8),
            gt_landmarks_2d=gt,
            landmarks_2d_input=detected),
        scale=1,
        origin=0.0)
    assert tuple(tile[2, 2]) == tool.INPUT_COLOR
    assert tuple(tile[5, 5]) == tool.GT_COLOR


def test_make_grid(tool):
    tiles = [np.full((4, 6, 3), i, np.uint8) for i in range(5)]
    grid = tool.make_grid(tiles)
    assert grid.shape == (8, 18, 3)
    assert grid[4, 6, 0] == 4 and grid[7, 17, 0] == 0


def test_grid_of_synthetic_config(tool, repo_root, data_root, tmp_path):
    """Two faces of each split; the tiles show the uint8 crop (the
    normalisation is skipped) with the ground-truth landmarks on it."""
    out = tmp_path / 'grid.png'
    tool.main([
        str(repo_root / CONFIG), '--n', '4', '--out',
        str(out), '--cfg-options',
        'train_dataloader.dataset.datasets.0.length=2',
        'train_dataloader.dataset.datasets.1.length=2'
    ])
    grid = cv2.imread(str(out))
    assert grid.shape == (720, 720, 3)

    init_default_scope('mmface3d')
    from mmface3d.registry import DATASETS
    cfg = Config.fromfile(repo_root / CONFIG)
    cfg.train_dataloader.dataset.datasets[0].length = 2
    dataset = DATASETS.build(cfg.train_dataloader.dataset.datasets[0])
    assert tool.leaf_sample(
        DATASETS.build(
            dict(
                type='MixedFaceDataset',
                datasets=[dataset, dataset])), 3) == (dataset, 1)
    raw = dataset.get_data_info(0)['img']
    tile = grid[:360, :360]
    enlarged = cv2.resize(raw, (360, 360), interpolation=cv2.INTER_NEAREST)
    # Equal wherever nothing is drawn (most of the tile).
    assert (np.abs(tile.astype(int) - enlarged).max(2) == 0).mean() > 0.8
    green = (tile == tool.GT_COLOR).all(2)
    assert green.sum() > 68
