"""init_model / inference_model on real AFLW2000-3D images with the released
3DDFA_V2 model: benchmark parity with the test pipeline, detected faces,
image layouts, no face, and the 4-channel (2DASL) landmark-map path."""
import cv2
import numpy as np
import pytest
import torch
from inference_helpers import CONFIG, CONFIG_2DASL, nme
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmface3d.apis import inference_model, init_model
from mmface3d.morphable import (FLM_INDICES, benchmark_roi_box,
                                detector_roi_box, select_flm_points)

IDS = [0, 1, 500, 1999]


def test_roi_boxes_reproduce_the_test_pipeline(tddfa_v2, aflw_slice):
    """The benchmark's boxes through inference_model give exactly what the
    config's test dataset + model.test_step (tools/test.py) give."""
    from mmengine.registry import DATASETS
    cfg = Config.fromfile(CONFIG)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    batch = pseudo_collate([dataset[i] for i in IDS])
    with torch.no_grad():
        expected = tddfa_v2.test_step(batch)
    for i, sample in zip(IDS, expected):
        face, = inference_model(tddfa_v2, aflw_slice['paths'][i],
                                roi_boxes=aflw_slice['roi_box'][i])
        # one face per batch here, four in the dataset's batch: the same
        # arithmetic up to float rounding
        torch.testing.assert_close(face.pred_landmarks,
                                   sample.pred_landmarks, atol=1e-4,
                                   rtol=0)
        torch.testing.assert_close(face.pred_params, sample.pred_params,
                                   atol=1e-4, rtol=1e-4)
        np.testing.assert_array_equal(face.metainfo['crop_affine'],
                                      sample.metainfo['crop_affine'])


def test_detected_face(tddfa_v2, aflw_slice):
    i = 0
    faces = inference_model(tddfa_v2, aflw_slice['paths'][i])
    assert len(faces) == 1
    face = faces[0]
    assert abs(face.pred_pose[0].item() - aflw_slice['yaw'][i]) < 10
    assert nme(face.pred_landmarks.numpy(), aflw_slice['pts68'][i]) < 0.05
    mm = tddfa_v2.morphable_model
    assert face.pred_vertices.shape == (mm.num_vertices, 3)
    # the 68 landmarks are mesh vertices: the dense mesh holds them (z is
    # shifted to min 0 over each point set, so up to a constant)
    on_mesh = face.pred_vertices[mm.keypoints]
    torch.testing.assert_close(on_mesh[:, :2], face.pred_landmarks[:, :2],
                               atol=1e-3, rtol=0)
    shift = on_mesh[:, 2] - face.pred_landmarks[:, 2]
    assert shift.max() - shift.min() < 1e-3
    torch.testing.assert_close(face.pred_landmarks_2d,
                               face.pred_landmarks[:, :2])
    assert face.bbox.shape == (5, ) and face.bbox[4] > 0.5
    meta = face.metainfo
    assert meta['pixel_origin'] == 0.0 and meta['landmark_source'] is None
    assert meta['pred_morphable_model']['layout'] == '3ddfa_v2'
    # refined once (the default): the crop is the benchmark rule around the
    # landmarks of an unrefined pass
    first, = inference_model(tddfa_v2, aflw_slice['paths'][i], refine=0)
    crop = benchmark_roi_box(first.pred_landmarks.T[None].numpy(), 450, 450)
    np.testing.assert_allclose(meta['roi_box'], np.round(crop[0]))
    np.testing.assert_allclose(
        first.metainfo['roi_box'],
        np.round(detector_roi_box(first.bbox[None].numpy())[0]))


def test_inputs_and_layouts(tddfa_v2, aflw_slice, tmp_path):
    path = aflw_slice['paths'][1]
    bgr = cv2.imread(path)
    box = np.array([[100.0, 100.0, 330.0, 380.0]])
    reference, = inference_model(tddfa_v2, path, bboxes=box)
    layouts = {
        'array': bgr,
        'rgba.png': np.concatenate([bgr, np.full_like(bgr[..., :1], 255)],
                                   2),
        '16bit.png': bgr.astype(np.uint16) * 257,
    }
    for name, image in layouts.items():
        if name != 'array':
            cv2.imwrite(str(tmp_path / name), image)
            image = str(tmp_path / name)
        face, = inference_model(tddfa_v2, image, bboxes=box)
        torch.testing.assert_close(face.pred_landmarks,
                                   reference.pred_landmarks)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(tmp_path / 'gray.png'), gray)
    for image in (gray, str(tmp_path / 'gray.png')):
        face, = inference_model(tddfa_v2, image, bboxes=box)
        assert abs(face.pred_pose[0] - reference.pred_pose[0]) < 5
    # a list in, a list of lists out
    out = inference_model(tddfa_v2, [path, bgr], bboxes=[box, box])
    assert [len(faces) for faces in out] == [1, 1]


@pytest.fixture
def logged(monkeypatch):
    """Messages of the API's print_log calls."""
    import mmface3d.apis.inference as inference
    messages = []
    monkeypatch.setattr(inference, 'print_log',
                        lambda msg, *args, **kwargs: messages.append(msg))
    return messages


def test_no_face(tddfa_v2, logged):
    assert inference_model(tddfa_v2, np.full((240, 320, 3), 90,
                                             np.uint8)) == []
    assert logged == ['the image: no face found']


def test_bad_arguments(tddfa_v2, tddfa_v2_checkpoint):
    with pytest.raises(ValueError, match=r'bboxes must be finite'):
        inference_model(tddfa_v2, np.zeros((50, 50, 3), np.uint8),
                        bboxes=np.zeros((1, 3)))
    with pytest.raises(ValueError, match='onnx_file'):
        init_model(CONFIG, tddfa_v2_checkpoint, backend='onnxruntime')
    with pytest.raises(TypeError, match='path or a BGR numpy array'):
        inference_model(tddfa_v2, 3)


@pytest.fixture(scope='module')
def twodasl(data_root):
    """A 4-channel 2DASL model (released config) with random weights: no
    2DASL checkpoint exists here, the test is about the map channel."""
    torch.manual_seed(0)
    model = init_model(CONFIG_2DASL, landmark_source='bootstrap:2')
    inputs = []
    model.backbone.register_forward_pre_hook(
        lambda module, args: inputs.append(args[0].detach().clone()))
    model.network_inputs = inputs
    return model


def expected_map(crop_points: np.ndarray) -> np.ndarray:
    """The 120x120 map of 68 crop points, from REFERENCE.md section 4."""
    flm = select_flm_points(crop_points)
    cols = np.clip(np.floor(flm[:, 0]), 1, 119).astype(int)
    rows = np.clip(np.floor(flm[:, 1]), 1, 119).astype(int)
    out = np.full((120, 120), -1.0, np.float32)
    out[rows, cols] = 1.0
    return out


def test_landmark_map_reaches_the_network(twodasl, aflw_slice):
    i = 0
    points = aflw_slice['pts68'][i, :2].T
    twodasl.network_inputs.clear()
    face, = inference_model(twodasl, aflw_slice['paths'][i],
                            landmarks=points[None])
    assert face.metainfo['landmark_source'] == 'given'
    inputs, = twodasl.network_inputs
    assert inputs.shape == (1, 4, 120, 120)
    affine = face.metainfo['crop_affine'].astype(np.float64)
    crop_points = points @ affine[:, :2].T + affine[:, 2]
    np.testing.assert_array_equal(inputs[0, 3].numpy(),
                                  expected_map(crop_points))
    assert len(FLM_INDICES) == 18


def test_bootstrapped_map(twodasl, aflw_slice):
    """'bootstrap:2': the mean face's map, then two re-predictions from
    the model's own landmarks."""
    twodasl.network_inputs.clear()
    face, = inference_model(twodasl, aflw_slice['paths'][0],
                            roi_boxes=aflw_slice['roi_box'][0])
    assert face.metainfo['landmark_source'] == 'bootstrap(rounds=2)'
    assert len(twodasl.network_inputs) == 3
    mm = twodasl.morphable_model
    with torch.no_grad():
        mean_face = mm.landmarks(mm.param_mean[None])[0, :2].T.numpy()
    np.testing.assert_array_equal(twodasl.network_inputs[0][0, 3].numpy(),
                                  expected_map(mean_face))
    # the last input's map is drawn from the second prediction
    assert not torch.equal(twodasl.network_inputs[0][0, 3],
                           twodasl.network_inputs[2][0, 3])


def test_file_source_falls_back_to_bootstrap(twodasl, aflw_slice, tmp_path,
                                             logged):
    empty = tmp_path / 'none.txt'
    empty.write_text('# no image\n')
    face, = inference_model(twodasl, aflw_slice['paths'][0],
                            roi_boxes=aflw_slice['roi_box'][0],
                            landmark_source=f'file:{empty}')
    assert face.metainfo['landmark_source'] == 'bootstrap(rounds=1)'
    assert 'its landmark map is bootstrapped' in logged[0]


def test_dlib_source_is_recorded(twodasl, aflw_slice):
    pytest.importorskip('dlib')
    face, = inference_model(twodasl, aflw_slice['paths'][0],
                            roi_boxes=aflw_slice['roi_box'][0],
                            landmark_source='dlib')
    assert face.metainfo['landmark_source'] == 'dlib'
