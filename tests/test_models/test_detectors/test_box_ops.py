"""IoU and NMS on boxes whose answers are worked out by hand."""
import torch

from mmface3d.models.detectors import box_iou, nms


def test_box_iou_by_hand():
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 0.0, 0.0]])
    b = torch.tensor([[5.0, 0.0, 15.0, 10.0, 0.9],
                      [20.0, 20.0, 30.0, 30.0, 0.1]])
    # overlap 5 x 10 = 50, union 100 + 100 - 50 = 150; disjoint; empty box
    expected = torch.tensor([[50 / 150, 0.0], [0.0, 0.0]])
    torch.testing.assert_close(box_iou(a, b), expected)


def test_nms_keeps_best_of_each_cluster():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 0.0, 11.0, 10.0],
                          [50.0, 50.0, 60.0, 60.0], [0.0, 0.0, 10.0, 10.0]])
    scores = torch.tensor([0.8, 0.9, 0.3, 0.1])
    # box 1 (0.9) suppresses 0 (IoU 9/11) and 3 (same as 0); 2 is alone
    assert nms(boxes, scores, 0.3).tolist() == [1, 2]
    # a loose threshold keeps the overlapping pair, not the duplicate of 0
    assert nms(boxes, scores, 0.85).tolist() == [1, 0, 2]
    assert nms(boxes[:0], scores[:0], 0.3).numel() == 0
