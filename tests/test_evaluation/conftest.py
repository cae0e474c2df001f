"""Fixtures of the evaluation tests: the AFLW2000-3D ground truth turned into
predictions, as a model predicting the annotation params would give them."""
import numpy as np
import pytest
import torch

from mmface3d.evaluation import (load_aflw2000_annotations,
                                 load_aflw2000_gt_params,
                                 load_aflw2000_roi_boxes)
from mmface3d.morphable import MorphableModel


@pytest.fixture(scope='session')
def aflw_ann(data_root):
    """Original AFLW2000-3D annotations: names, (2000, 68, 3), yaw."""
    return load_aflw2000_annotations(data_root=data_root)


@pytest.fixture(scope='session')
def gt_predictions(data_root):
    """The 40 + 10 ground-truth params of all 2000 images (3DDFA v1
    convention, released crop boxes) with their landmarks in the image."""
    model = MorphableModel(param_stats=None, data_root=data_root)
    params = load_aflw2000_gt_params(model, data_root=data_root)
    roi_boxes = torch.from_numpy(load_aflw2000_roi_boxes(
        data_root=data_root)).float()
    landmarks = model.crop_to_image(model.landmarks(params), roi_boxes)
    return dict(
        params=params.numpy(),
        roi_boxes=roi_boxes.numpy(),
        landmarks=landmarks.transpose(1, 2).numpy())


def _make_samples(ids, names=None, **fields):
    """Samples in the dict form mmengine's Evaluator passes to metrics:
    ``img_id``, ``img_path`` (from ``names``) and per-image ``fields`` rows
    (indexed by image id)."""
    samples = []
    for i in ids:
        sample = dict(img_id=int(i))
        if names is not None:
            sample['img_path'] = f'aflw2000_3d/AFLW2000/{names[i]}'
        sample.update({k: torch.from_numpy(np.asarray(v[i]))
                       for k, v in fields.items()})
        samples.append(sample)
    return samples


@pytest.fixture
def make_samples():
    """``make_samples(ids, names=None, **fields)``: see :func:`_make_samples`.
    """
    return _make_samples
