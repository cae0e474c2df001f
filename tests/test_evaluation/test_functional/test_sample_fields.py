import numpy as np
import pytest
import torch

from mmface3d.evaluation.functional import sample_array, sample_field
from mmface3d.structures import Face3DDataSample


def sample():
    data = Face3DDataSample(metainfo=dict(img_id=3, img_path='a/b.jpg'))
    data.pred_landmarks = torch.ones(68, 3, dtype=torch.float64)
    return data


@pytest.mark.parametrize('as_dict', [False, True])
def test_reads_objects_and_dicts(as_dict):
    data = sample().to_dict() if as_dict else sample()
    assert sample_field(data, 'img_id') == 3
    array = sample_array(data, 'pred_landmarks', (68, None))
    assert array.dtype == np.float32 and array.shape == (68, 3)


def test_errors_name_the_sample():
    data = sample()
    with pytest.raises(KeyError, match=r'img_id=3, img_path=a/b\.jpg.*roi'):
        sample_field(data, 'roi_box')
    with pytest.raises(ValueError, match=r'\(68, 3\), expected \(68, 2\)'):
        sample_array(data, 'pred_landmarks', (68, 2))
    data.pred_landmarks[5, 1] = float('nan')
    with pytest.raises(ValueError, match=r'img_id=3.*NaN or inf'):
        sample_array(data, 'pred_landmarks', (68, 3))
