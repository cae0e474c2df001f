"""Face3DDataPreprocessor: stacking, casting and channel checks."""
import pytest
import torch

from mmface3d.registry import MODELS
from mmface3d.structures import Face3DDataSample


@pytest.mark.parametrize('num_channels', [3, 4])
def test_stacks_and_casts_without_normalising(num_channels, device):
    preprocessor = MODELS.build(
        dict(type='Face3DDataPreprocessor',
             num_channels=num_channels)).to(device)
    inputs = [
        torch.full((num_channels, 8, 8), 7, dtype=torch.float64),
        torch.full((num_channels, 8, 8), -1, dtype=torch.float64)
    ]
    samples = [Face3DDataSample(), Face3DDataSample()]
    out = preprocessor(dict(inputs=inputs, data_samples=samples))
    assert out['inputs'].shape == (2, num_channels, 8, 8)
    assert out['inputs'].dtype == torch.float32
    assert out['inputs'].device.type == device.type
    assert torch.all(out['inputs'][0] == 7) and torch.all(
        out['inputs'][1] == -1)
    assert out['data_samples'] is not None and len(out['data_samples']) == 2


def test_accepts_a_batched_tensor_and_no_samples():
    preprocessor = MODELS.build(dict(type='Face3DDataPreprocessor'))
    out = preprocessor(dict(inputs=torch.zeros(2, 3, 4, 4, dtype=torch.uint8)))
    assert out['inputs'].dtype == torch.float32
    assert out['data_samples'] is None


def test_wrong_channel_count_is_reported():
    preprocessor = MODELS.build(
        dict(type='Face3DDataPreprocessor', num_channels=4))
    with pytest.raises(ValueError, match=r'\(B, 4, H, W\)'):
        preprocessor(dict(inputs=[torch.zeros(3, 8, 8)]))


def test_mixed_shapes_and_bad_config_are_reported():
    preprocessor = MODELS.build(dict(type='Face3DDataPreprocessor'))
    with pytest.raises(ValueError, match='share a shape'):
        preprocessor(dict(inputs=[torch.zeros(3, 8, 8), torch.zeros(3, 9, 8)]))
    with pytest.raises(KeyError, match='inputs'):
        preprocessor(dict(img=[torch.zeros(3, 8, 8)]))
    with pytest.raises(ValueError, match='num_channels'):
        MODELS.build(dict(type='Face3DDataPreprocessor', num_channels=1))
