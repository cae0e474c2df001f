"""The onnxruntime backend against torch on real crops."""
import numpy as np
import pytest
import torch

from mmface3d.apis import OnnxRegressor, export_regressor_onnx, inference_model

pytest.importorskip('onnxruntime')


@pytest.fixture(scope='module')
def onnx_file(tddfa_v2, tmp_path_factory):
    return str(export_regressor_onnx(
        tddfa_v2, tmp_path_factory.mktemp('onnx') / 'mb05.onnx'))


def test_landmarks_match_torch(tddfa_v2, onnx_file, aflw_slice):
    for i in (0, 7, 1234):
        args = (tddfa_v2, aflw_slice['paths'][i])
        box = aflw_slice['roi_box'][i]
        expected, = inference_model(*args, roi_boxes=box)
        got, = inference_model(*args, roi_boxes=box, backend='onnxruntime',
                               onnx_file=onnx_file)
        difference = (got.pred_landmarks - expected.pred_landmarks).abs()
        assert difference[:, :2].max() < 1e-3
        torch.testing.assert_close(got.pred_pose, expected.pred_pose,
                                   atol=1e-3, rtol=0)


def test_dynamic_batch_and_input_check(tddfa_v2, onnx_file):
    session = OnnxRegressor(onnx_file)
    inputs = torch.randn(5, 3, 120, 120)
    with torch.no_grad():
        expected = tddfa_v2(inputs, mode='tensor')
    torch.testing.assert_close(session(inputs), expected, atol=1e-4,
                               rtol=1e-4)
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        session(np.zeros((1, 4, 120, 120), np.float32))
