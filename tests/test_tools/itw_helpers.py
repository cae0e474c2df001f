"""Helpers of the tool tests on the in-the-wild faces: a tiny data root
whose ``aflw_itw/`` is laid out as the real one (docs/datasets.md) but holds
the first :data:`ROWS` real faces, and the AFLW points of its README read
by hand."""
import os

import numpy as np

TEACHER = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'
ITW = 'aflw_itw/annotations'
ARRAYS = ('AFLW_GT_pts21.npy', 'AFLW_GT_crop_roi_box.npy',
          'AFLW_GT_crop_yaws.npy')
ROWS = 8
# The 18 landmark-map points among AFLW's 21 (its README) and the 68-point
# rows each stands for (REFERENCE.md section 4; eye and mouth centres are
# midpoints)
MAP_POINTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 17, 18, 19]
MAP_ROWS = [(17, ), (19, ), (21, ), (22, ), (24, ), (26, ), (36, ), (37, 40),
            (39, ), (42, ), (43, 46), (45, ), (31, ), (30, ), (35, ), (48, ),
            (62, 66), (54, )]


def make_itw_root(root, data_root, rows=ROWS):
    """``root`` with ``aflw_itw/`` holding the first ``rows`` real faces and
    ``bfm/`` linked; returns the listed names."""
    real = data_root / 'aflw_itw'
    names = (real / 'annotations/AFLW_GT_crop.list').read_text().split()
    names = names[:rows]
    (root / ITW).mkdir(parents=True)
    (root / ITW / 'AFLW_GT_crop.list').write_text('\n'.join(names) + '\n')
    for array in ARRAYS:
        np.save(root / ITW / array,
                np.load(real / 'annotations' / array)[:rows])
    images = root / 'aflw_itw/AFLW_GT_crop'
    images.mkdir()
    for name in names:
        (images / name).symlink_to(real / 'AFLW_GT_crop' / name)
    (root / 'bfm').symlink_to(data_root / 'bfm', target_is_directory=True)
    return names


def relative_env(readme_env, repo_root, root):
    """The README's environment with ``MMFACE3D_DATA`` = ``root`` given
    relative to the checkout."""
    return dict(readme_env, MMFACE3D_DATA=os.path.relpath(root, repo_root))


def manual_points(root, pixel_origin=1.0):
    """(N, 21, 2) AFLW points of the tiny root in crop pixels (the box map
    of its README) and (N, 21) visibility (x != -1). The files count pixels
    from 1; ``pixel_origin=0.0`` moves the points by -1 original-image
    pixel first (0-based)."""
    pts21 = np.load(root / ITW / 'AFLW_GT_pts21.npy').transpose(0, 2, 1)
    visible = pts21[..., 0] != -1
    pts21 = pts21 + (pixel_origin - 1.0)
    boxes = np.load(root / ITW / 'AFLW_GT_crop_roi_box.npy').astype(float)
    scale = 120 / (boxes[:, 2:] - boxes[:, :2])
    crop = (pts21 - boxes[:, None, :2]) * scale[:, None]
    return crop, visible
