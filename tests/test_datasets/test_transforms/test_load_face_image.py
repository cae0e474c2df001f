"""Loading images: colour layouts and files a dataset must skip."""
import pickle

import cv2
import numpy as np
import pytest

from mmface3d.datasets.transforms import LoadFaceImage
from mmface3d.datasets.transforms.face_data_error import (FaceDataError,
                                                          FaceImageError)


@pytest.fixture
def bgr():
    img = np.zeros((30, 40, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 10, 120, 250
    img[5:10, 5:20] = 0
    return img


def load(path):
    return LoadFaceImage()(dict(img_path=str(path)))


def test_color_png(tmp_path, bgr):
    cv2.imwrite(str(tmp_path / 'a.png'), bgr)
    out = load(tmp_path / 'a.png')
    np.testing.assert_array_equal(out['img'], bgr)
    assert out['ori_shape'] == out['img_shape'] == (30, 40)


def test_grayscale_becomes_three_channels(tmp_path, bgr):
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(tmp_path / 'g.png'), gray)
    out = load(tmp_path / 'g.png')
    assert out['img'].shape == (30, 40, 3) and out['img'].dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(out['img'][..., c], gray)


def test_rgba_drops_alpha(tmp_path, bgr):
    bgra = np.concatenate([bgr, np.full((30, 40, 1), 7, np.uint8)], 2)
    cv2.imwrite(str(tmp_path / 'a.png'), bgra)
    out = load(tmp_path / 'a.png')
    np.testing.assert_array_equal(out['img'], bgr)


def test_16_bit_is_scaled(tmp_path, bgr):
    cv2.imwrite(str(tmp_path / 'w.png'), bgr.astype(np.uint16) * 257)
    np.testing.assert_array_equal(load(tmp_path / 'w.png')['img'], bgr)


def test_real_jpeg(data_root):
    out = load(data_root / 'aflw2000_3d/AFLW2000/image00002.jpg')
    assert out['img'].shape == (450, 450, 3)


@pytest.mark.parametrize('content,reason', [
    (b'', 'empty'),
    (b'not an image at all' * 20, 'not a decodable image'),
])
def test_corrupt_files(tmp_path, content, reason):
    path = tmp_path / 'bad.jpg'
    path.write_bytes(content)
    with pytest.raises(FaceImageError, match=reason) as info:
        load(path)
    assert info.value.path == str(path) and reason in info.value.reason
    assert str(path) in str(info.value)


def test_truncated_jpeg(tmp_path, bgr):
    ok, data = cv2.imencode('.jpg', np.tile(bgr, (4, 4, 1)))
    assert ok
    for cut in (len(data) // 2, len(data) - 2):
        path = tmp_path / f'cut{cut}.jpg'
        path.write_bytes(data.tobytes()[:cut])
        with pytest.raises(FaceImageError, match='cut.*truncated'):
            load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FaceImageError, match='missing.jpg.*cannot read'):
        load(tmp_path / 'missing.jpg')


def test_error_survives_pickling():
    """Dataloader workers send exceptions to the main process by pickle."""
    err = pickle.loads(pickle.dumps(FaceImageError('x.jpg', 'broken')))
    assert isinstance(err, FaceDataError) and isinstance(err, ValueError)
    assert (err.path, err.reason, str(err)) == ('x.jpg', 'broken',
                                                'x.jpg: broken')
