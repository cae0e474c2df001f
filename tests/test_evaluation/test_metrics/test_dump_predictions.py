import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmface3d.evaluation import DumpPredictions
from mmface3d.evaluation.functional import load_predictions
from mmface3d.structures import Face3DDataSample


def sample(img_id, seed):
    rng = np.random.default_rng(seed)
    data = Face3DDataSample(
        metainfo=dict(
            img_id=img_id,
            img_path=f'img{img_id}.jpg',
            crop_affine=rng.normal(size=(2, 3)).astype(np.float32)))
    data.pred_params = torch.from_numpy(
        rng.normal(size=62).astype(np.float32))
    data.pred_landmarks = torch.from_numpy(
        rng.normal(size=(68, 3)).astype(np.float32))
    return data


def test_writes_the_samples_predictions_sorted(tmp_path):
    samples = [sample(i, seed) for seed, i in enumerate([9, 4, 6])]
    evaluator = Evaluator(DumpPredictions(str(tmp_path / 'preds.npz')))
    evaluator.process(data_samples=samples[:2])  # two batches
    evaluator.process(data_samples=samples[2:])
    assert evaluator.evaluate(3) == {}
    saved = load_predictions(tmp_path / 'preds.npz')
    assert saved['img_ids'].tolist() == [4, 6, 9]
    order = [1, 2, 0]
    for key, field in (('pred_params', 'pred_params'),
                       ('pred_landmarks', 'pred_landmarks'),
                       ('crop_affines', 'crop_affine')):
        expected = np.stack([np.asarray(samples[i].get(field))
                             for i in order])
        assert np.array_equal(saved[key], expected), key
    assert saved['img_paths'].tolist() == ['img4.jpg', 'img6.jpg',
                                           'img9.jpg']


def test_nothing_to_save(tmp_path):
    metric = DumpPredictions(str(tmp_path / 'preds.npz'))
    with pytest.raises(ValueError, match='no predictions.*preds.npz'):
        metric.compute_metrics([])
