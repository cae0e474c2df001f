import numpy as np
import pytest
import torch

from mmface3d.evaluation.functional import (load_predictions, save_predictions,
                                            stack_predictions)
from mmface3d.structures import Face3DDataSample


def predictions(n=3, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        img_ids=np.array([7, 2, 5][:n]),
        pred_params=rng.normal(size=(n, 62)).astype(np.float32),
        pred_landmarks=rng.normal(size=(n, 68, 3)).astype(np.float32),
        crop_affines=rng.uniform(-2, 2, size=(n, 2, 3)).astype(np.float32))


def test_save_load_round_trip_sorted(tmp_path):
    pred = predictions()
    path = save_predictions(tmp_path / 'out' / 'preds', pred)
    assert path == tmp_path / 'out' / 'preds.npz' and path.is_file()
    loaded = load_predictions(path)
    order = np.argsort(pred['img_ids'])
    for key, value in pred.items():
        assert np.array_equal(loaded[key], value[order]), key
    assert loaded['img_ids'].dtype == np.int64


@pytest.mark.parametrize('change,match', [
    (lambda p: p.pop('crop_affines'), r'crop_affines.*missing'),
    (lambda p: p.update(pred_landmarks=p['pred_landmarks'][:, :, :2]),
     r'pred_landmarks.*\(N, 68, 3\)'),
    (lambda p: p.update(crop_affines=p['crop_affines'][:, :, :2]),
     r'crop_affines.*\(N, 2, 3\)'),
    (lambda p: p.update(crop_affines=p['crop_affines'][:2]),
     'different lengths'),
    (lambda p: p['pred_params'].__setitem__((1, 3), np.nan), 'NaN'),
    (lambda p: p.update(img_ids=np.array([1, 1, 2])), 'duplicates'),
])
def test_save_refuses_bad_predictions(tmp_path, change, match):
    pred = predictions()
    change(pred)
    with pytest.raises((KeyError, ValueError), match=match):
        save_predictions(tmp_path / 'bad.npz', pred)


def test_load_names_the_file(tmp_path):
    path = tmp_path / 'broken.npz'
    np.savez(path, img_ids=np.arange(2))
    with pytest.raises(KeyError, match='broken.npz'):
        load_predictions(path)
    with pytest.raises(FileNotFoundError, match='missing.npz'):
        load_predictions(tmp_path / 'missing.npz')


def test_stack_predictions_from_samples():
    pred = predictions()
    samples = []
    for i in range(3):
        sample = Face3DDataSample(
            metainfo=dict(
                img_id=int(pred['img_ids'][i]),
                img_path=f'img{i}.jpg',
                crop_affine=pred['crop_affines'][i]))
        sample.pred_params = torch.from_numpy(pred['pred_params'][i])
        sample.pred_landmarks = torch.from_numpy(pred['pred_landmarks'][i])
        samples.append(sample)
    # objects and mmengine's dict form give the same arrays
    for stacked in (stack_predictions(samples),
                    stack_predictions([s.to_dict() for s in samples])):
        for key, value in pred.items():
            assert np.array_equal(stacked[key], value), key
        assert stacked['img_paths'].tolist() == ['img0.jpg', 'img1.jpg',
                                                 'img2.jpg']
    samples[1].pred_landmarks[0, 0] = float('inf')
    with pytest.raises(ValueError, match=r'img_id=2, img_path=img1\.jpg'):
        stack_predictions(samples)
