"""Fixtures of the evaluation tests: the AFLW2000-3D ground truth as the
dataset attaches it to samples, that ground truth turned into predictions
(as a model predicting the annotation params would give them) and samples
in the form mmengine's Evaluator hands to metrics."""
import numpy as np
import pytest
import torch

from mmface3d.datasets import AFLW2000Dataset
from mmface3d.morphable import MorphableModel, box_affine, transform_params


def _ground_truth(data_root, **kwargs):
    """Image-frame ground truth of all 2000 images, indexed by image id."""
    dataset = AFLW2000Dataset(data_root=str(data_root), pipeline=[],
                              **kwargs)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [info['img_id'] for info in infos] == list(range(2000))
    gt = dict(
        img_paths=[info['img_path'] for info in infos],
        landmarks=np.stack([info['gt_landmarks_img'] for info in infos]),
        yaw=np.array([info['yaw'] for info in infos]),
        roi_boxes=np.stack([info['roi_box'] for info in infos]))
    if kwargs.get('with_params'):
        gt['params_img'] = np.stack([info['gt_params_img'] for info in infos])
        conventions = {info['params_convention'] for info in infos}
        assert len(conventions) == 1
        gt['params_convention'] = conventions.pop()
    return gt


@pytest.fixture(scope='session')
def aflw_gt(data_root):
    """Original AFLW2000-3D ground truth: ``img_paths``, ``landmarks``
    (2000, 68, 3) image pixels, ``yaw`` (2000,), the released ``roi_boxes``
    (2000, 4), ``params_img`` (2000, 62) image-frame 40 + 10 params of the
    fits and their ``params_convention`` ('v1')."""
    return _ground_truth(data_root, with_params=True)


@pytest.fixture(scope='session')
def aflw_gt_re(data_root):
    """The re-annotated ground truth: ``landmarks`` (2000, 68, 2)."""
    return _ground_truth(data_root, gt_landmarks='re')


@pytest.fixture(scope='session')
def bfm_v1(data_root):
    """The 3DDFA v1 morphable model (40 + 10 components, no whitening)."""
    return MorphableModel(param_stats=None, data_root=str(data_root))


@pytest.fixture(scope='session')
def gt_predictions(aflw_gt, bfm_v1):
    """The 40 + 10 ground-truth params of all 2000 images as a model would
    predict them on the released crops: ``params`` (2000, 62) crop params
    (v1 convention), ``crop_affines`` (2000, 2, 3) = the boxes' crop maps,
    ``landmarks`` (2000, 68, 3) decoded into the image, and the model's
    ``mesh_cfg``."""
    crop_affines = box_affine(
        torch.from_numpy(aflw_gt['roi_boxes']).double())
    params = transform_params(
        torch.from_numpy(aflw_gt['params_img']).double(), crop_affines,
        aflw_gt['params_convention']).float()
    crop_affines = crop_affines.float()
    landmarks = bfm_v1.image_landmarks(params, crop_affines)
    return dict(
        params=params.numpy(),
        crop_affines=crop_affines.numpy(),
        landmarks=landmarks.numpy(),
        mesh_cfg=bfm_v1.mesh_cfg)


def _make_samples(ids, gt, mesh_cfg=None, **fields):
    """Samples in the dict form mmengine's Evaluator passes to metrics (the
    flat ``to_dict()`` of metainfo and data fields).

    Args:
        ids (Iterable[int]): Image ids.
        gt (dict): Ground truth (``aflw_gt`` or ``aflw_gt_re``): each sample
            gets ``img_id``, ``img_path``, ``yaw``, ``gt_landmarks_img`` and,
            where ``gt`` has them, ``gt_params_img`` + ``params_convention``.
        mesh_cfg (dict, optional): ``pred_morphable_model`` metainfo.
        **fields: Per-image arrays indexed by image id (``pred_landmarks``,
            ``pred_params``, ``crop_affine``, ...).
    """
    samples = []
    for i in ids:
        sample = dict(
            img_id=int(i),
            img_path=gt['img_paths'][i],
            yaw=float(gt['yaw'][i]),
            gt_landmarks_img=torch.from_numpy(gt['landmarks'][i]))
        if 'params_img' in gt:
            sample.update(
                gt_params_img=torch.from_numpy(gt['params_img'][i]),
                params_convention=gt['params_convention'])
        if mesh_cfg is not None:
            sample['pred_morphable_model'] = dict(mesh_cfg)
        for key, value in fields.items():
            value = np.asarray(value[i])
            # metainfo (crop_affine) stays numpy, data fields are tensors
            sample[key] = value if key == 'crop_affine' else \
                torch.from_numpy(value)
        samples.append(sample)
    return samples


@pytest.fixture
def make_samples():
    """``make_samples(ids, gt, mesh_cfg=None, **fields)``: see
    :func:`_make_samples`."""
    return _make_samples
