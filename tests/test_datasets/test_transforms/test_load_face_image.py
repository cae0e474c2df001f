"""Loading images: colour layouts and files a dataset must skip."""
import os
import pickle
import sys

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


AFLW_JPEG = 'aflw2000_3d/AFLW2000/image00002.jpg'


def damage_entropy_data(data):
    """A restart marker written into the middle of the entropy-coded data:
    libjpeg warns 'Corrupt JPEG data' and OpenCV still returns an image."""
    middle = len(data) // 2
    assert data.find(b'\xff\xda') < middle  # after the start of scan
    return data[:middle] + b'\xff\xd3' + data[middle + 2:]


def test_corrupt_jpeg_data(tmp_path, data_root, capfd):
    path = tmp_path / 'corrupt.jpg'
    path.write_bytes(damage_entropy_data((data_root / AFLW_JPEG).read_bytes()))
    # the premise: a plain decoder returns a garbled image, no error
    garbled = cv2.imread(str(path))
    original = cv2.imread(str(data_root / AFLW_JPEG))
    assert garbled.shape == original.shape
    assert np.abs(garbled.astype(int) - original).mean() > 5
    assert 'Corrupt JPEG data' in capfd.readouterr().err
    with pytest.raises(FaceImageError) as info:
        load(path)
    assert info.value.path == str(path)
    assert info.value.reason == ('corrupt JPEG data (Corrupt JPEG data: '
                                 'premature end of data segment)')
    # the warning became the error, not also a line on stderr
    assert 'Corrupt JPEG data' not in capfd.readouterr().err
    assert LoadFaceImage(check_corrupt=False)(
        dict(img_path=str(path)))['img'].shape == (450, 450, 3)


def test_other_decoder_messages_are_reprinted(tmp_path, data_root, capfd):
    """libjpeg's warnings that do not mean damaged data (here an unknown
    JFIF version) pass through to stderr; the image loads."""
    data = (data_root / AFLW_JPEG).read_bytes()
    version = data.index(b'JFIF\x00') + 5
    path = tmp_path / 'jfif2.jpg'
    path.write_bytes(data[:version] + b'\x02' + data[version + 1:])
    out = load(path)
    np.testing.assert_array_equal(out['img'],
                                  cv2.imread(str(data_root / AFLW_JPEG)))
    assert 'Warning: unknown JFIF revision number 2.01' in \
        capfd.readouterr().err


def test_clean_jpeg_bit_identical_and_stderr_restored(data_root, capfd):
    out = load(data_root / AFLW_JPEG)
    np.testing.assert_array_equal(out['img'],
                                  cv2.imread(str(data_root / AFLW_JPEG)))
    print('after the decoder', file=sys.stderr, flush=True)
    os.write(2, b'fd 2 is back\n')
    assert capfd.readouterr().err == 'after the decoder\nfd 2 is back\n'
