"""Fixtures of the API tests: the released 3DDFA_V2 model converted and
built for inference, and AFLW2000-3D annotations of a few images."""
import importlib.util

import numpy as np
import pytest
from inference_helpers import CONFIG, REPO

ANN = 'aflw2000_3d/annotations'


@pytest.fixture(scope='session')
def tddfa_v2_checkpoint(data_root, tmp_path_factory) -> str:
    """The released 3DDFA_V2 weights converted by the converter tool."""
    path = REPO / 'tools/model_converters/tddfa_v2_to_mmface3d.py'
    spec = importlib.util.spec_from_file_location('tddfa_v2_converter',
                                                  path)
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    out = tmp_path_factory.mktemp('api_ckpt') / '3ddfa_v2_mb05.pth'
    converter.convert(
        str(data_root / 'weights/3ddfa_v2_mb05_120x120.pth'), str(out))
    return str(out)


@pytest.fixture(scope='session')
def tddfa_v2(tddfa_v2_checkpoint):
    from mmface3d.apis import init_model
    return init_model(CONFIG, tddfa_v2_checkpoint)


@pytest.fixture(scope='session')
def aflw_slice(data_root):
    """names, image paths, released boxes, pts68 (2000, 3, 68) and yaw."""
    ann = data_root / ANN
    names = (ann / 'AFLW2000-3D.list').read_text().split()
    return dict(
        names=names,
        paths=[str(data_root / 'aflw2000_3d/AFLW2000' / n) for n in names],
        roi_box=np.load(ann / 'AFLW2000-3D_crop.roi_box.npy'),
        pts68=np.load(ann / 'AFLW2000-3D.pts68.npy'),
        yaw=np.load(ann / 'AFLW2000-3D.pose.npy'))
