"""Run a face reconstruction model on one's own images.

    >>> from mmface3d.apis import init_model, inference_model
    >>> model = init_model('configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py',
    ...                    'work_dirs/3ddfa_v2_mb05.pth')
    >>> faces = inference_model(model, 'photo.jpg')  # one sample per face
    >>> faces[0].pred_pose, faces[0].pred_vertices.shape

Preprocessing is the config's test pipeline (``LoadFaceImage``,
``FaceCrop``, ``LandmarkMap`` for 4-channel models, ``NormalizeFace``,
``PackFace3DInputs``) and decoding is the model's head, exactly as
``tools/test.py`` runs them, so a face cropped with the benchmark's box gets
the benchmark's prediction.
"""
import logging
import weakref
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from torch import nn

from mmface3d.models.landmark_sources import BootstrapLandmarkSource
from mmface3d.morphable import (benchmark_roi_box, detector_roi_box,
                                pixel_origin)
from mmface3d.registry import MODELS, TRANSFORMS
from mmface3d.structures import Face3DDataSample
from .onnx_regressor import OnnxRegressor

ImageInput = Union[str, Path, np.ndarray]
# short names of the detectors and landmark sources (the registered type
# names work too)
DETECTORS = {
    'faceboxes': 'FaceBoxes',
    'dlib': 'DlibHOGDetector',
    's3fd': 'S3FDDetector',
}
LANDMARK_SOURCES = {
    'dlib': 'DlibLandmarkSource',
    'fan': 'FANLandmarkSource',
    'bootstrap': 'BootstrapLandmarkSource',
    'file': 'FileLandmarkSource',
}
BACKENDS = ('torch', 'onnxruntime')
# what inference_model built for a model: its pipeline, detector, landmark
# source, onnxruntime session (dropped with the model)
_STATE: 'weakref.WeakKeyDictionary' = weakref.WeakKeyDictionary()


def build_face_detector(spec: Union[str, dict, nn.Module, None],
                        **kwargs) -> Optional[nn.Module]:
    """A face detector from a short name (``'faceboxes'``, ``'dlib'``,
    ``'s3fd'``), a registered type name, a config dict or an instance
    (returned as is); ``kwargs`` (e.g. ``score_thr``, ``largest_only``)
    update a name or dict. None gives None."""
    if spec is None or isinstance(spec, nn.Module):
        return spec
    cfg = dict(type=DETECTORS.get(spec.lower(), spec)) if isinstance(
        spec, str) else dict(spec)
    cfg.update(kwargs)
    init_default_scope('mmface3d')
    return MODELS.build(cfg)


def build_landmark_source(spec: Union[str, dict, object, None]):
    """A landmark-map source from a name or config.

    Names: ``'dlib'``, ``'fan'``, ``'bootstrap'`` (or ``'bootstrap:K'``, K
    re-predictions), ``'file:PATH'`` (a landmark list), or a registered type
    name; a dict is a config; an instance is returned as is; None gives
    None."""
    if spec is None or not isinstance(spec, (str, dict)):
        return spec
    if isinstance(spec, dict):
        cfg = dict(spec)
    else:
        name, _, arg = spec.partition(':')
        cfg = dict(type=LANDMARK_SOURCES.get(name.lower(), name))
        if arg and cfg['type'] == 'FileLandmarkSource':
            cfg['path'] = arg
        elif arg and cfg['type'] == 'BootstrapLandmarkSource':
            cfg['rounds'] = int(arg)
        elif arg:
            raise ValueError(f'landmark source {spec!r}: only file:PATH and '
                             'bootstrap:ROUNDS take an argument')
    init_default_scope('mmface3d')
    return MODELS.build(cfg)


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None,
               detector: Union[str, dict, nn.Module, None] = 'faceboxes',
               landmark_source: Union[str, dict, object, None] = None,
               backend: str = 'torch',
               onnx_file: Optional[str] = None,
               refine: int = 1) -> nn.Module:
    """Build a :class:`~mmface3d.models.Face3DRegressor` for inference.

    The model is built from ``config`` under ``default_scope='mmface3d'``
    and the checkpoint is loaded strictly and weights-only
    (:func:`mmface3d.utils.checkpoint.load_model_weights`: a checkpoint of
    another architecture is an error, not a silently half-loaded model).
    The config is kept as ``model.cfg``; the inference settings as
    ``model.inference_cfg`` (what :func:`inference_model` uses unless told
    otherwise).

    Args:
        config (str | Path | Config): Model config.
        checkpoint (str, optional): Weights; None keeps the initial
            (random) weights, with a warning. Defaults to None.
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Config overrides. Defaults to None.
        detector (str | dict | nn.Module, optional): Face detector used when
            no boxes are given, see :func:`build_face_detector`. Built on
            first use. Defaults to ``'faceboxes'``.
        landmark_source (str | dict | object, optional): Source of the
            landmark map of 4-channel models, see
            :func:`build_landmark_source`; None: ``'dlib'``. Ignored by
            3-channel models. Defaults to None.
        backend (str): ``'torch'`` or ``'onnxruntime'`` (then
            ``onnx_file`` is required) for the network; decoding is torch
            either way. Defaults to ``'torch'``.
        onnx_file (str, optional): Network exported by
            ``tools/deployment/export_onnx.py``. Defaults to None.
        refine (int): Extra passes for faces placed by a detector box, each
            cropping the face again with the benchmark's crop rule around
            the previous pass's landmarks (the detector-box crop rule is
            coarser than the landmark crops the models were trained on:
            on AFLW2000-3D one pass brings the NME close to that of the
            benchmark's boxes, see docs/benchmarks.md). Crops given as
            ``roi_boxes`` or placed by ``landmarks`` are final. Defaults to
            1.

    Returns:
        nn.Module: The model in eval mode on ``device``.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError('config must be a file name or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'mmface3d'))
    model = MODELS.build(config.model)
    if checkpoint is not None:
        from mmface3d.utils.checkpoint import load_model_weights
        load_model_weights(model, checkpoint)
    else:
        print_log(
            'init_model: no checkpoint, the model keeps its initial '
            '(random) weights',
            logger='current',
            level=logging.WARNING)
    model.cfg = config
    model.inference_cfg = dict(
        detector=detector,
        landmark_source=landmark_source,
        backend=backend,
        onnx_file=onnx_file,
        refine=refine)
    _check_backend(backend, onnx_file)
    model.to(device)
    model.eval()
    return model


def _check_backend(backend: str, onnx_file: Optional[str]) -> None:
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, got '
                         f'{backend!r}')
    if backend == 'onnxruntime' and onnx_file is None:
        raise ValueError("backend='onnxruntime' needs onnx_file (export it "
                         'with tools/deployment/export_onnx.py)')


def _state(model: nn.Module) -> dict:
    if model not in _STATE:
        _STATE[model] = dict(pipeline=_build_pipeline(model))
    return _STATE[model]


def _build_pipeline(model: nn.Module) -> dict:
    """The config's test pipeline, in three parts: the loader (run once per
    image), the transforms up to the landmark map (crop) and from it
    (landmark map, normalisation, packing), both run per face."""
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise ValueError('the model has no `cfg`: build it with init_model')
    pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        pipeline = cfg.test_dataloader.dataset.pipeline
    loader, crop, rest = None, [], []
    for step in pipeline:
        step = dict(step)
        if step['type'] == 'LoadFaceImage':
            loader = TRANSFORMS.build(step)
            continue
        if step['type'] == 'FaceCrop':
            # the boxes come from a detector or the caller, never the
            # dataset's annotation
            step['box_source'] = 'roi_box'
        if step['type'] == 'LandmarkMap' or rest:
            rest.append(TRANSFORMS.build(step))
        else:
            crop.append(TRANSFORMS.build(step))
    types = [type(t).__name__ for t in crop + rest]
    if 'FaceCrop' not in types or types[-1] != 'PackFace3DInputs':
        raise ValueError(
            f'the test pipeline of {cfg.filename} must crop (FaceCrop) and '
            f'end with PackFace3DInputs, got {types}')
    channels = model.data_preprocessor.num_channels
    has_map = 'LandmarkMap' in types
    if (channels == 4) != has_map:
        raise ValueError(
            f'{cfg.filename}: a {channels}-channel model needs a test '
            f'pipeline {"with" if channels == 4 else "without"} LandmarkMap')
    if loader is None:
        loader = TRANSFORMS.build(dict(type='LoadFaceImage'))
    return dict(loader=loader, crop=crop, rest=rest, has_map=has_map)


def _cached(model: nn.Module, key: str, spec, build):
    """``build(spec)`` once per model and spec."""
    state = _state(model)
    cache = state.setdefault(key, {})
    token = spec if isinstance(spec, (str, type(None))) else id(spec)
    if token not in cache:
        cache[token] = build(spec)
    return cache[token]


def _run(transforms: Sequence, results: dict) -> dict:
    for transform in transforms:
        results = transform(results)
    return results


def load_image(model: nn.Module, img: ImageInput) -> dict:
    """An image path or array as the pipeline's loader leaves it: a dict
    with ``img`` (H, W, 3) uint8 BGR, ``img_path``, ``ori_shape`` and
    ``img_shape``. Arrays may be gray (H, W), (H, W, 1), BGR or BGRA, 8 or
    16 bits (converted as ``LoadFaceImage`` converts files)."""
    loader = _state(model)['pipeline']['loader']
    if isinstance(img, (str, Path)):
        return loader(dict(img_path=str(img)))
    if not isinstance(img, np.ndarray):
        raise TypeError('img must be a path or a BGR numpy array, got '
                        f'{type(img).__name__}')
    bgr = loader._to_bgr(img, '<array>')
    return dict(img=bgr, img_path=None, img_shape=bgr.shape[:2],
                ori_shape=bgr.shape[:2])


def inference_model(
    model: nn.Module,
    img: Union[ImageInput, Sequence[ImageInput]],
    bboxes: Optional[Union[np.ndarray, Sequence]] = None,
    landmarks: Optional[Union[np.ndarray, Sequence]] = None,
    roi_boxes: Optional[Union[np.ndarray, Sequence]] = None,
    detector: Union[str, dict, nn.Module, None] = None,
    landmark_source: Union[str, dict, object, None] = None,
    backend: Optional[str] = None,
    onnx_file: Optional[str] = None,
    refine: Optional[int] = None,
    with_vertices: bool = True
) -> Union[List[Face3DDataSample], List[List[Face3DDataSample]]]:
    """Reconstruct every face of an image (or of each image of a list).

    Where the faces are, in order of precedence: ``roi_boxes`` (crop boxes
    used as they are, e.g. the benchmark's), ``bboxes`` (face-detector
    boxes, cropped with :func:`~mmface3d.morphable.detector_roi_box`),
    ``landmarks`` (cropped with the benchmark rule
    :func:`~mmface3d.morphable.benchmark_roi_box`), else the detector's
    boxes. All faces of an image go through the network as one batch.

    4-channel (2DASL) models also need the facial landmark map: from
    ``landmarks`` when given (source ``'given'``), else from the landmark
    source; a face the source has no points for, and the
    ``'bootstrap'`` source, start from the mean face's map and re-predict
    from their own landmarks (see
    :class:`~mmface3d.models.BootstrapLandmarkSource`).

    Args:
        model (nn.Module): From :func:`init_model`.
        img (str | Path | np.ndarray | list): Image path or BGR array (gray,
            BGRA and 16-bit work), or a list of them.
        bboxes (array-like, optional): (N, 4) or (N, 5) ``[x0, y0, x1, y1,
            score]`` detector boxes (a list of them for a list of images).
        landmarks (array-like, optional): (N, 68, 2+) image landmarks.
        roi_boxes (array-like, optional): (N, 4) crop boxes ``[sx, sy, ex,
            ey]``.
        detector, landmark_source, backend, onnx_file, refine: Override
            ``model.inference_cfg`` (see :func:`init_model`).
        with_vertices (bool): Add the dense mesh ``pred_vertices``.
            Defaults to True.

    Returns:
        list[Face3DDataSample] | list[list[Face3DDataSample]]: One sample
        per face (empty, with a logged message, when there is none), in the
        detector's order (decreasing score). Each holds ``pred_params``
        (P,) crop params, ``pred_landmarks`` (68, 3) and
        ``pred_landmarks_2d`` (68, 2) image pixels, ``pred_vertices`` (N, 3)
        image pixels (z towards the camera, min 0 for 3DDFA_V2 models),
        ``pred_pose`` (3,) ``[yaw, pitch, roll]`` degrees, ``bbox`` (5,)
        ``[x0, y0, x1, y1, score]``, and the metainfo ``img_path``,
        ``ori_shape``, ``roi_box``, ``crop_affine`` (2, 3),
        ``pred_morphable_model``, ``pixel_origin`` (the image coordinate of
        pixel (0, 0)'s centre in the model's convention: 1 for 3DDFA v1 /
        2DASL, 0 for 3DDFA_V2), ``landmark_source`` (None for 3-channel
        models) and ``face_index``.
    """
    if isinstance(img, (list, tuple)):
        def pick(value, i):
            return None if value is None else value[i]
        return [
            inference_model(model, one, pick(bboxes, i), pick(landmarks, i),
                            pick(roi_boxes, i), detector, landmark_source,
                            backend, onnx_file, refine, with_vertices)
            for i, one in enumerate(img)
        ]
    settings = dict(getattr(model, 'inference_cfg', {}))
    for key, value in dict(detector=detector,
                           landmark_source=landmark_source,
                           backend=backend, onnx_file=onnx_file,
                           refine=refine).items():
        if value is not None:
            settings[key] = value
    backend = settings.get('backend', 'torch')
    _check_backend(backend, settings.get('onnx_file'))
    results = load_image(model, img)
    name = results['img_path'] or 'the image'
    height, width = results['img'].shape[:2]

    boxes, crops, points = _face_boxes(model, results, bboxes, landmarks,
                                       roi_boxes, settings)
    if not len(crops):
        print_log(f'{name}: no face found', logger='current',
                  level=logging.WARNING)
        return []
    if _state(model)['pipeline']['has_map']:
        source = None
        if points is None:
            source = _cached(model, 'landmark_source',
                             settings.get('landmark_source') or 'dlib',
                             build_landmark_source)
            points = source(results['img'], boxes, results['img_path'])
        names, points, rounds = _map_points(points, len(crops), source,
                                            name)
    else:
        names = points = [None] * len(crops)
        rounds = [0] * len(crops)

    passes = 1 if roi_boxes is not None or (
        bboxes is None and landmarks is not None) else \
        int(settings.get('refine') or 0) + 1
    samples = None
    for _ in range(passes):
        if samples is not None:
            # crop again around the landmarks just predicted; a bootstrapped
            # map goes on from the last prediction
            crops = benchmark_roi_box(
                torch.stack([s.pred_landmarks for s in samples]).transpose(
                    1, 2).cpu().numpy(), width, height)
            points = [
                p if p is not None or n is None else
                s.pred_landmarks[:, :2].cpu().numpy()
                for p, n, s in zip(points, names, samples)
            ]
            rounds = [0] * len(crops)
        samples = _predict(model, results, crops, points, rounds, backend,
                           settings)
    _finish(model, samples, boxes, names, with_vertices)
    return samples


def _face_boxes(model, results, bboxes, landmarks, roi_boxes, settings):
    """(N, 5) face boxes, (N, 4) crop boxes, (N, 68, 2) image landmarks of
    the map (or None)."""
    height, width = results['img'].shape[:2]
    points = None
    if landmarks is not None:
        points = np.asarray(landmarks, dtype=np.float64)
        if points.ndim != 3 or points.shape[1] != 68 or points.shape[2] < 2:
            raise ValueError('landmarks must be (N, 68, 2+) image points, '
                             f'got {points.shape}')
        points = points[:, :, :2]
    if roi_boxes is not None:
        crops = _as_boxes(roi_boxes, 4, 'roi_boxes')
        boxes = np.concatenate([crops, np.ones((len(crops), 1))], 1)
    elif bboxes is not None:
        boxes = _as_boxes(bboxes, 5, 'bboxes')
        crops = detector_roi_box(boxes)
    elif points is not None:
        crops = benchmark_roi_box(points.transpose(0, 2, 1), width, height)
        boxes = np.concatenate(
            [points.min(1), points.max(1),
             np.ones((len(points), 1))], 1)
    else:
        detector = _cached(model, 'detector', settings.get('detector'),
                           build_face_detector)
        if detector is None:
            raise ValueError('no boxes, landmarks or detector: pass bboxes '
                             "or init_model(detector='faceboxes')")
        boxes = np.asarray(detector.detect(results['img']), np.float64)
        crops = detector_roi_box(boxes) if len(boxes) else np.zeros((0, 4))
    if points is not None and len(points) != len(crops):
        raise ValueError(f'{len(points)} faces of landmarks for '
                         f'{len(crops)} boxes')
    return boxes, crops, points


def _as_boxes(value, width: int, name: str) -> np.ndarray:
    """(N, 4+) array-like -> (N, width) float64 (score 1 appended to
    4-column boxes when ``width`` is 5)."""
    boxes = np.asarray(value, dtype=np.float64)
    if boxes.ndim == 1 and boxes.size in (4, 5):
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5) or \
            not np.isfinite(boxes).all():
        raise ValueError(f'{name} must be finite (N, 4) or (N, 5) boxes, '
                         f'got shape {boxes.shape}')
    if width == 5 and boxes.shape[1] == 4:
        boxes = np.concatenate([boxes, np.ones((len(boxes), 1))], 1)
    return boxes[:, :width]


def _map_points(points, count: int, source, name: str):
    """Per face: the landmark-map source's name, its (68, 2) points (None
    where the model bootstraps its own map) and the bootstrap rounds."""
    source_name = 'given' if source is None else source.name
    fallback = BootstrapLandmarkSource()
    names, out, rounds = [], [], []
    for i in range(count):
        row = None if points is None else np.asarray(points[i], np.float64)
        if row is not None and np.isfinite(row).all():
            names.append(source_name)
            out.append(row)
            rounds.append(0)
        elif points is None:
            names.append(source_name)
            out.append(None)
            rounds.append(source.rounds)
        else:
            print_log(
                f'{name}: face {i} has no landmarks from {source_name}; '
                f'its landmark map is bootstrapped ({fallback.name})',
                logger='current',
                level=logging.WARNING)
            names.append(fallback.name)
            out.append(None)
            rounds.append(fallback.rounds)
    return names, out, rounds


def _predict(model, results: dict, crops: np.ndarray, points: list,
             rounds: List[int], backend: str,
             settings: dict) -> List[Face3DDataSample]:
    """Crop, map, pack and predict every face. A face without map points
    (``points[i]`` None, 4-channel models) starts from the mean face's map
    and predicts again ``rounds[i]`` times from its own landmarks."""
    pipeline = _state(model)['pipeline']
    mm = model.morphable_model
    cropped = []
    for i, crop in enumerate(crops):
        face = dict(results, roi_box=np.asarray(crop, np.float32), img_id=i)
        if points[i] is not None:
            face['landmarks_2d_input'] = np.asarray(points[i], np.float32)
        cropped.append(_run(pipeline['crop'], face))
    if pipeline['has_map']:
        with torch.no_grad():
            mean_face = mm.landmarks(mm.param_mean[None])[0, :2].T
        for i, face in enumerate(cropped):
            if points[i] is None:
                face['landmarks_2d_input'] = mean_face.cpu().numpy()
    samples = _forward(model, [_run(pipeline['rest'], dict(c))
                               for c in cropped], backend, settings)
    for step in range(max(rounds, default=0)):
        again = [i for i, r in enumerate(rounds) if r > step]
        with torch.no_grad():
            crop_points = mm.landmarks(
                torch.stack([samples[i].pred_params
                             for i in again]).to(mm.u))[:, :2]
        packed = []
        for k, i in enumerate(again):
            cropped[i]['landmarks_2d_input'] = \
                crop_points[k].T.cpu().numpy()
            packed.append(_run(pipeline['rest'], dict(cropped[i])))
        for i, sample in zip(again, _forward(model, packed, backend,
                                             settings)):
            samples[i] = sample
    return samples


def _forward(model, packed: List[dict], backend: str,
             settings: dict) -> List[Face3DDataSample]:
    """Predict packed faces as one batch: the model's ``test_step``
    (``tools/test.py``'s path) for torch; for onnxruntime, the exported
    network and then the head's decoding."""
    data = dict(inputs=[p['inputs'] for p in packed],
                data_samples=[p['data_samples'] for p in packed])
    with torch.no_grad():
        if backend == 'torch':
            return model.test_step(data)
        session = _cached(model, 'onnx', settings['onnx_file'],
                          OnnxRegressor)
        data = model.data_preprocessor(data, False)
        head = model.head
        params_white = session(data['inputs']).to(data['inputs'])
        affine = torch.stack([
            torch.as_tensor(s.metainfo['crop_affine'], dtype=torch.float32)
            for s in data['data_samples']
        ]).to(params_white)
        decoded = head.decode(params_white, affine)
        mesh_cfg = head.morphable_model.mesh_cfg
        for i, sample in enumerate(data['data_samples']):
            sample.pred_params = decoded['params'][i]
            sample.pred_landmarks = decoded['landmarks'][i]
            sample.pred_pose = decoded['pose'][i]
            sample.set_metainfo(dict(pred_morphable_model=mesh_cfg))
        return data['data_samples']


def _finish(model, samples: List[Face3DDataSample], boxes: np.ndarray,
            names: list, with_vertices: bool) -> None:
    """Add the dense mesh, 2D landmarks, boxes and metainfo."""
    mm = model.morphable_model
    for i, sample in enumerate(samples):
        sample.bbox = torch.as_tensor(boxes[i], dtype=torch.float32)
        sample.set_metainfo(
            dict(landmark_source=names[i], face_index=i,
                 pixel_origin=pixel_origin(mm.convention)))
    decode_predictions(model, samples, with_vertices)


def decode_predictions(model: nn.Module,
                       samples: List[Face3DDataSample],
                       with_vertices: bool = True) -> None:
    """(Re)compute a face's outputs from its ``pred_params`` (P,) and
    metainfo ``crop_affine``, in place, as the head decodes them:
    ``pred_landmarks`` (68, 3), ``pred_landmarks_2d`` (68, 2), ``pred_pose``
    (3,) and, with ``with_vertices``, the dense ``pred_vertices`` (N, 3)
    (:meth:`MorphableModel.image_params`, ``reconstruct``,
    ``normalize_image_depth``); e.g. after smoothing the params of a video.
    """
    if not samples:
        return
    mm = model.morphable_model
    params = torch.stack([s.pred_params for s in samples]).to(mm.u)
    affine = torch.stack([
        torch.as_tensor(s.metainfo['crop_affine'], dtype=torch.float32)
        for s in samples
    ]).to(mm.u)
    with torch.no_grad():
        landmarks = mm.image_landmarks(params, affine)
        pose = mm.image_pose(params, affine)
        vertices = None
        if with_vertices:
            image_params, _ = mm.image_params(params, affine)
            vertices = mm.normalize_image_depth(
                mm.reconstruct(image_params)).transpose(1, 2)
    for i, sample in enumerate(samples):
        sample.pred_landmarks = landmarks[i]
        sample.pred_landmarks_2d = landmarks[i, :, :2]
        sample.pred_pose = pose[i]
        if vertices is not None:
            sample.pred_vertices = vertices[i]
