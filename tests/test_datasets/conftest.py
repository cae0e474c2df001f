"""Fixtures of the dataset tests: benchmark layouts built from AFLW2000-3D."""
import cv2
import numpy as np
import pytest


@pytest.fixture
def aflw21_layout(data_root, tmp_path):
    """Factory writing AFLW2000-3D images in the 3DDFA AFLW 21-point layout
    under ``tmp_path``: ``side`` x ``side`` crops by the released boxes and,
    in list order, their 21- and 68-point annotations, boxes and yaws.

    The factory takes ``rows`` (AFLW2000-3D list rows), ``side`` (crop side,
    default 120) and ``hidden`` (dict: sample -> AFLW points written as -1)
    and returns ``root``, ``names``, ``boxes`` and ``arrays`` (file name ->
    array as written).
    """

    def make(rows, side=120, hidden=None):
        ann = data_root / 'aflw2000_3d/annotations'
        names = (ann / 'AFLW2000-3D.list').read_text().split()
        names = [names[i] for i in rows]
        boxes = np.load(ann / 'AFLW2000-3D_crop.roi_box.npy')[rows]
        pts21 = np.load(ann / 'AFLW2000-3D.pts21.npy')[rows]
        for sample, points in (hidden or {}).items():
            pts21[sample][:, points] = -1
        arrays = {
            'AFLW_GT_pts21.npy': pts21,
            'AFLW_GT_pts68.npy': np.load(ann / 'AFLW2000-3D.pts68.npy')[rows],
            'AFLW_GT_crop_roi_box.npy': boxes,
            'AFLW_GT_crop_yaws.npy': np.load(ann /
                                             'AFLW2000-3D.pose.npy')[rows],
        }
        out_ann = tmp_path / 'aflw/annotations'
        out_img = tmp_path / 'aflw/AFLW_GT_crop'
        out_ann.mkdir(parents=True)
        out_img.mkdir(parents=True)
        for file, array in arrays.items():
            np.save(out_ann / file, array)
        (out_ann / 'AFLW_GT_crop.list').write_text('\n'.join(names) + '\n')
        for name, (sx, sy, ex, ey) in zip(names, boxes.astype(int)):
            img = cv2.imread(str(data_root / 'aflw2000_3d/AFLW2000' / name))
            cv2.imwrite(str(out_img / name),
                        cv2.resize(img[sy:ey, sx:ex], (side, side)))
        return dict(root=tmp_path, names=names, boxes=boxes, arrays=arrays)

    return make
