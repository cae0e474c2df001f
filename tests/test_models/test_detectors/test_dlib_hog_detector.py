"""dlib's HOG detector (offline, shipped in dlib-bin) on a real face."""
import cv2
import numpy as np
import pytest
import torch

from mmface3d.models.detectors import DlibHOGDetector, box_iou

pytest.importorskip('dlib')


def test_finds_the_face_and_nothing_else(data_root):
    img = cv2.imread(
        str(data_root / 'aflw2000_3d/AFLW2000/image00002.jpg'))
    points = np.load(data_root / 'aflw2000_3d/annotations/'
                     'AFLW2000-3D.pts68.npy')[0, :2]
    tight = np.concatenate([points.min(1), points.max(1)])[None]
    boxes = DlibHOGDetector().detect(img)
    assert boxes.shape == (1, 5)
    # dlib's box spans about brows to chin, like the 68 points
    assert box_iou(torch.from_numpy(boxes).double(),
                   torch.from_numpy(tight).double()).item() >= 0.5
    assert DlibHOGDetector().detect(np.zeros((200, 200, 3), np.uint8)).shape \
        == (0, 5)
    with pytest.raises(ValueError, match='upsample'):
        DlibHOGDetector(upsample=-1)
