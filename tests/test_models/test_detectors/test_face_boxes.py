"""FaceBoxes: anchors and decoding by hand, the released weights on a slice
of AFLW2000-3D, and the selection settings of every detector."""
import cv2
import numpy as np
import pytest
import torch

from mmface3d.models.detectors import FaceBoxes, box_iou
from mmface3d.models.detectors.face_boxes import (FaceBoxesNet, decode_boxes,
                                                  prior_boxes)
from mmface3d.morphable import detector_roi_box

ANN = 'aflw2000_3d/annotations'


def test_prior_boxes_by_hand():
    # 64 x 96 image: layer strides 32 / 64 / 128 -> 2x3, 1x2, 1x1 cells
    priors = prior_boxes(64, 96)
    assert priors.shape == (6 * 21 + 2 + 1, 4)
    # first cell: 16 anchors of side 32 at quarter offsets (rows outer),
    # 4 of side 64 at half offsets, 1 of side 128 at the centre
    first = priors[:21]
    torch.testing.assert_close(first[1], torch.tensor(
        [0.25 * 32 / 96, 0.0, 32 / 96, 32 / 64]))
    torch.testing.assert_close(first[4], torch.tensor(
        [0.0, 0.25 * 32 / 64, 32 / 96, 32 / 64]))
    torch.testing.assert_close(first[17], torch.tensor(
        [16 / 96, 0.0, 64 / 96, 64 / 64]))
    torch.testing.assert_close(first[20], torch.tensor(
        [16 / 96, 16 / 64, 128 / 96, 128 / 64]))
    # second cell of layer 1 is one column (32 px) to the right
    torch.testing.assert_close(priors[21 + 20], torch.tensor(
        [48 / 96, 16 / 64, 128 / 96, 128 / 64]))
    # layer 2 (stride 64, side 256): cells (0, 0) and (0, 1); layer 3
    torch.testing.assert_close(priors[126:], torch.tensor(
        [[32 / 96, 32 / 64, 256 / 96, 256 / 64],
         [96 / 96, 32 / 64, 256 / 96, 256 / 64],
         [64 / 96, 64 / 64, 512 / 96, 512 / 64]]))


def test_network_outputs_one_row_per_prior():
    net = FaceBoxesNet().eval()
    for height, width in ((100, 150), (129, 33)):
        with torch.no_grad():
            loc, scores = net(torch.zeros(2, 3, height, width))
        num = prior_boxes(height, width).shape[0]
        assert loc.shape == (2, num, 4) and scores.shape == (2, num)


def test_decode_boxes_by_hand():
    priors = torch.tensor([[0.5, 0.5, 0.2, 0.4]])
    # centre moves by 0.1 * 0.2 * 1 in x, size grows by exp(0.2 * 0) = 1 in
    # w and exp(0.2 * 5) = e in h
    loc = torch.tensor([[1.0, 0.0, 0.0, 5.0]])
    h = 0.4 * np.e
    torch.testing.assert_close(
        decode_boxes(loc, priors),
        torch.tensor([[0.52 - 0.1, 0.5 - h / 2, 0.52 + 0.1, 0.5 + h / 2]],
                     dtype=torch.float32))


@pytest.fixture(scope='module')
def faceboxes(data_root):
    return FaceBoxes()


def test_finds_the_annotated_faces_of_a_slice(faceboxes, data_root):
    """The released weights find the annotated face: the crop box of a kept
    detection (3DDFA_V2 rule, clipped to the image as the released boxes
    are) overlaps the benchmark crop box by IoU >= 0.5 (over all 2000
    images: tools/analysis_tools/benchmark_inference.py)."""
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    roi = np.load(data_root / ANN / 'AFLW2000-3D_crop.roi_box.npy')
    found = 0
    ids = range(0, 2000, 250)
    for i in ids:
        img = cv2.imread(str(data_root / 'aflw2000_3d/AFLW2000' / names[i]))
        boxes = faceboxes.detect(img)
        assert boxes.dtype == np.float32 and boxes.shape[1:] == (5, )
        assert (np.diff(boxes[:, 4]) <= 0).all() and (boxes[:, 4] >= 0.5
                                                      ).all()
        if len(boxes):
            crops = np.clip(detector_roi_box(boxes), 1, 450)
            iou = box_iou(torch.from_numpy(crops),
                          torch.from_numpy(roi[i:i + 1]).double())
            found += bool(iou.max() >= 0.5)
    assert found >= len(ids) - 1


def test_no_face_in_a_flat_image(faceboxes):
    assert faceboxes.detect(np.full((300, 400, 3), 128, np.uint8)).shape == \
        (0, 5)


def test_rejects_non_bgr_input(faceboxes):
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8 BGR'):
        faceboxes.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match='uint8'):
        faceboxes.detect(np.zeros((10, 10, 3), np.float32))


def test_selection_settings():
    boxes = np.array([[0, 0, 10, 10, 0.9], [0, 0, 40, 40, 0.6],
                      [0, 0, 20, 20, 0.95], [0, 0, 2, 2, 0.99],
                      [0, 0, 50, 50, 0.3]], dtype=np.float64)
    detector = FaceBoxes(weights=None, score_thr=0.5, min_size=5)
    # threshold 0.5 drops the last, min_size 5 the 2-px box; sorted by score
    np.testing.assert_array_equal(detector.select(boxes)[:, 4],
                                  [0.95, 0.9, 0.6])
    detector = FaceBoxes(weights=None, score_thr=0.5, largest_only=True)
    np.testing.assert_array_equal(detector.select(boxes), [boxes[1]])
    detector = FaceBoxes(weights=None, score_thr=0.0, max_faces=2)
    np.testing.assert_array_equal(detector.select(boxes)[:, 4], [0.99, 0.95])


def test_resize_factor():
    detector = FaceBoxes(weights=None)
    # 3DDFA_V2's rule: fit 720 high, then 1080 wide; never enlarge
    assert detector.resize_factor(3000, 4000) == pytest.approx(720 / 3000)
    assert detector.resize_factor(1000, 2700) == pytest.approx(1080 / 2700)
    assert detector.resize_factor(1440, 1000) == pytest.approx(0.5)
    assert detector.resize_factor(450, 450) == 1.0
    assert FaceBoxes(weights=None, upscale=True).resize_factor(
        450, 450) == pytest.approx(1.6)
    assert FaceBoxes(weights=None, max_size=None).resize_factor(
        3000, 4000) == 1.0


def test_boxes_scale_back_to_the_image(faceboxes, data_root):
    """Detection on a 2x image (downscaled inside to fit 720 px) gives the
    1x boxes times 2, within the detector's own resampling noise."""
    img = cv2.imread(
        str(data_root / 'aflw2000_3d/AFLW2000/image00002.jpg'))
    small = faceboxes.detect(img)
    big = FaceBoxes(max_size=(450, 450)).detect(
        cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_AREA))
    assert len(small) == len(big) == 1
    np.testing.assert_allclose(big[0, :4], 2 * small[0, :4], atol=6)
