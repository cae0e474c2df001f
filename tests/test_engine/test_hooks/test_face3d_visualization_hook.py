"""Face3DVisualizationHook: which batches it draws, where the PNGs go, and
``--show-dir`` drawing on synthetic faces (no image files)."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch

from mmface3d.datasets import BaseFaceDataset, SyntheticFaceDataset
from mmface3d.datasets.transforms import FaceCrop, PackFace3DInputs
from mmface3d.engine import Face3DVisualizationHook
from mmface3d.morphable import MorphableModel
from mmface3d.structures import Face3DDataSample
from mmface3d.visualization import Face3DLocalVisualizer


def file_dataset():
    """A stand-in for a file-based face dataset: BaseFaceDataset's own
    ``original_image``, which reads ``img_path``."""
    return SimpleNamespace(original_image=lambda img_id, img_path:
                           BaseFaceDataset.original_image(
                               None, img_id, img_path))


def fake_runner(log_dir, visualizer, dataset):
    loop = SimpleNamespace(dataloader=SimpleNamespace(dataset=dataset))
    return SimpleNamespace(
        log_dir=str(log_dir), iter=0, visualizer=visualizer,
        val_loop=loop, test_loop=loop)


def outputs(folder, names):
    """Samples whose predicted landmarks sit at pixel (10, 12) of grey
    40x30 images written to ``folder``."""
    samples = []
    for i, name in enumerate(names):
        path = folder / f'{name}.jpg'
        cv2.imwrite(str(path), np.full((30, 40, 3), 128, np.uint8))
        sample = Face3DDataSample(
            metainfo=dict(
                img_path=str(path),
                img_id=i,
                crop_affine=np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]],
                                     np.float32)))
        sample.pred_landmarks = torch.tensor([[10.0, 12.0, 0.0]]).repeat(
            68, 1)
        samples.append(sample)
    return samples


def test_draws_every_interval_th_batch(tmp_path):
    runner = fake_runner(tmp_path / 'log',
                         Face3DLocalVisualizer(name='hook_vis', radius=1),
                         file_dataset())
    hook = Face3DVisualizationHook(enable=True, interval=2, out_dir='vis')
    hook.after_test_iter(runner, 0, {}, outputs(tmp_path, ['a', 'b']))
    hook.after_val_iter(runner, 1, {}, outputs(tmp_path, ['c']))
    hook.after_val_iter(runner, 2, {}, outputs(tmp_path, ['d']))
    written = sorted(p.name for p in (tmp_path / 'log' / 'vis').iterdir())
    assert written == ['a.png', 'b.png', 'd.png']  # batch 1 skipped
    drawn = cv2.imread(str(tmp_path / 'log' / 'vis' / 'a.png'))
    assert drawn.shape == (30, 40, 3)
    assert drawn[12, 10, 1] > 200 and drawn[12, 10, 0] < 50  # green point
    assert (np.abs(drawn[25:, 35:].astype(int) - 128) <= 2).all()


def test_disabled_draws_nothing(tmp_path):
    runner = fake_runner(tmp_path / 'log', None, file_dataset())
    hook = Face3DVisualizationHook(out_dir='vis')
    hook.after_test_iter(runner, 0, {}, outputs(tmp_path, ['a']))
    assert not (tmp_path / 'log').exists()


def test_dataset_without_original_image_is_reported(tmp_path):
    runner = fake_runner(tmp_path / 'log',
                         Face3DLocalVisualizer(name='hook_vis_bad'),
                         SimpleNamespace())
    hook = Face3DVisualizationHook(enable=True, out_dir='vis')
    with pytest.raises(TypeError, match='original_image'):
        hook.after_test_iter(runner, 0, {}, outputs(tmp_path, ['a']))


def test_show_dir_on_synthetic_faces(tmp_path, data_root):
    """``synthetic://`` samples have no file: the hook draws on the image
    the dataset renders again, with the model named in the predictions."""
    dataset = SyntheticFaceDataset(
        length=2,
        seed=3,
        occlusion_prob=0.0,
        test_mode=True,
        data_root=str(data_root),
        pipeline=[FaceCrop(crop_size=120), PackFace3DInputs()])
    model = MorphableModel(param_stats=None)
    samples, originals = [], []
    for i in range(2):
        packed = dataset[i]
        # the 120 px image is its own crop: the input is the image itself
        originals.append(packed['inputs'].permute(1, 2, 0).numpy())
        sample = packed['data_samples']
        assert sample.metainfo['img_path'].startswith('synthetic://')
        # a perfect prediction: the ground truth of the crop
        params = torch.as_tensor(sample.gt_params)[None].float()
        affine = torch.as_tensor(sample.metainfo['crop_affine'])[None]
        sample.pred_params = params[0]
        sample.pred_landmarks = model.image_landmarks(params, affine)[0]
        sample.pred_pose = model.image_pose(params, affine)[0]
        sample.set_metainfo(dict(pred_morphable_model=model.mesh_cfg))
        samples.append(sample)

    runner = fake_runner(tmp_path / 'log',
                         Face3DLocalVisualizer(name='hook_vis_synth'),
                         dataset)
    hook = Face3DVisualizationHook(enable=True, out_dir='show')
    hook.after_test_iter(runner, 0, {}, samples)
    out = tmp_path / 'log' / 'show'
    assert sorted(p.name for p in out.iterdir()) == ['000000.png',
                                                     '000001.png']
    for i, sample in enumerate(samples):
        drawn = cv2.imread(str(out / f'{i:06d}.png'))
        original = originals[i]
        assert drawn.shape == original.shape == (120, 120, 3)
        # landmarks (1-based v1 points) are drawn on the face, and the
        # rendered image shows through at the corners
        chin = sample.gt_landmarks_img[8, :2].numpy()
        x, y = np.round(chin - 1).astype(int)
        assert tuple(drawn[y, x]) == (0, 255, 0)
        changed = np.abs(drawn.astype(int) - original).max(2) > 0
        assert changed.mean() > 0.1
        assert not changed[2:6, 2:6].any()
