import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from scipy.io import loadmat

from mmface3d.datasets import AFLW2000Dataset
from mmface3d.evaluation import AFLW2000Metric
from mmface3d.evaluation.functional import SUMMARY_KEYS
from mmface3d.models.heads import ParamRegressionHead
from mmface3d.morphable import is_reflection, transform_params
from mmface3d.registry import METRICS
from mmface3d.structures import Face3DDataSample

# REFERENCE.md section 3: the 40 + 10 ground-truth params reproduce pt3d_68
# at 0.880 % mean 2D NME over all 2000 images (per-axis crop frame).
FLOOR = 0.880
# AFLW2000-3D image whose fit has f < 0 (an improper camera), see
# test_oracle_params_through_rotating_and_flipping_pipeline.
IMPROPER_FIT = 1902


def run(metric, samples, batch_size=64):
    for start in range(0, len(samples), batch_size):
        metric.process(None, samples[start:start + batch_size])
    return metric.evaluate(len(samples))


def known_error_predictions(gt, yaw):
    """Move every point of image i by c_i * sqrt(w_i * h_i) in the image
    plane (direction (0.6, 0.8)), so that its NME is exactly c_i, with
    c = 1 %, 2 %, 4 % in the three yaw buckets."""
    size = np.sqrt(np.prod(gt[..., :2].max(1) - gt[..., :2].min(1), 1))
    abs_yaw = np.abs(yaw)
    c = np.where(abs_yaw <= 30, 0.01, np.where(abs_yaw <= 60, 0.02, 0.04))
    shift = np.zeros(3)
    shift[:2] = [0.6, 0.8]
    pred = np.zeros(gt.shape[:2] + (3, ))
    pred[..., :gt.shape[2]] = gt
    return (pred + (c * size)[:, None, None] * shift).astype(np.float32)


def test_gt_params_give_the_truncation_floor(aflw_gt, gt_predictions,
                                             make_samples):
    """The 40 + 10 ground-truth params reproduce pt3d_68 at 0.880 % NME over
    all 2000 images (REFERENCE.md section 3)."""
    metric = METRICS.build(dict(type='AFLW2000Metric'))
    out = run(metric,
              make_samples(range(2000), aflw_gt,
                           pred_landmarks=gt_predictions['landmarks']))
    assert set(out) == {
        f'aflw2000/nme_68_{dim}_{key}'
        for dim in ('2d', '3d') for key in SUMMARY_KEYS
    }
    assert out['aflw2000/nme_68_2d_all'] == pytest.approx(FLOOR, abs=1e-3)
    # the 3D error adds depth errors to the 2D ones
    assert out['aflw2000/nme_68_3d_all'] > out['aflw2000/nme_68_2d_all']


def test_known_errors_per_yaw_bucket(aflw_gt, make_samples):
    pred = known_error_predictions(aflw_gt['landmarks'], aflw_gt['yaw'])
    pred[..., 2] += 50.0  # a depth offset must not count in 3D
    out = run(AFLW2000Metric(),
              make_samples(range(2000), aflw_gt, pred_landmarks=pred))
    for dim in ('2d', '3d'):
        name = f'aflw2000/nme_68_{dim}'
        assert out[f'{name}_0-30'] == pytest.approx(1.0)
        assert out[f'{name}_30-60'] == pytest.approx(2.0)
        assert out[f'{name}_60-90'] == pytest.approx(4.0)
        assert out[f'{name}_mean3'] == pytest.approx(7 / 3)
        assert out[f'{name}_std3'] == pytest.approx(np.sqrt(42 / 27))
        # 1312 / 383 / 305 images, the |yaw| > 90 ones in the last bucket
        assert out[f'{name}_all'] == pytest.approx(
            (1312 * 1 + 383 * 2 + 305 * 4) / 2000)


def test_reannotated_1998(aflw_gt_re, make_samples):
    gt = aflw_gt_re['landmarks']
    assert gt.shape == (2000, 68, 2)
    pred = known_error_predictions(gt, aflw_gt_re['yaw'])
    # all 2000 are processed; ids 1081 (yaw 2.4) and 1798 (yaw 76) drop out
    out = run(AFLW2000Metric(gt='re', subset='1998'),
              make_samples(range(2000), aflw_gt_re, pred_landmarks=pred))
    assert set(out) == {f'aflw1998/nme_68_2d_re_{k}' for k in SUMMARY_KEYS}
    assert out['aflw1998/nme_68_2d_re_all'] == pytest.approx(
        (1311 * 1 + 383 * 2 + 304 * 4) / 1998)


def test_ground_truth_must_match_the_protocol(aflw_gt, aflw_gt_re,
                                              make_samples):
    """The original protocol scores z too: 2D re-annotated ground truth is
    refused, and the re-annotated protocol refuses the original 3D points
    (a dataset built with the other ``gt_landmarks`` would otherwise score
    the wrong annotation under the right name); the error names the field
    and the sample."""
    pred = np.zeros((2000, 68, 3), np.float32)
    samples = make_samples([4], aflw_gt_re, pred_landmarks=pred)
    with pytest.raises(ValueError,
                       match=r'gt_landmarks_img.*img_id=4.*\(68, 2\).*'
                       r'\(68, 3\)'):
        AFLW2000Metric().process(None, samples)
    with pytest.raises(ValueError,
                       match=r'gt_landmarks_img.*img_id=4.*\(68, 3\).*'
                       r'\(68, 2\)'):
        AFLW2000Metric(gt='re').process(
            None, make_samples([4], aflw_gt, pred_landmarks=pred))


def test_missing_fields_name_the_sample(aflw_gt, make_samples):
    pred = np.zeros((2000, 68, 3), np.float32)
    for key in ('gt_landmarks_img', 'yaw', 'pred_landmarks'):
        sample = make_samples([7], aflw_gt, pred_landmarks=pred)[0]
        del sample[key]
        with pytest.raises(KeyError, match=rf'img_id=7.*`{key}`'):
            AFLW2000Metric().process(None, [sample])


def test_nan_prediction_names_the_image(aflw_gt, make_samples):
    pred = np.zeros((2000, 68, 3), np.float32)
    pred[12, 3, 1] = np.nan
    samples = make_samples([11, 12], aflw_gt, pred_landmarks=pred)
    name = re.escape(Path(aflw_gt['img_paths'][12]).name)
    with pytest.raises(ValueError,
                       match=rf'img_id=12, img_path=.*{name}.*NaN'):
        AFLW2000Metric().process(None, samples)


def test_bad_img_id(aflw_gt, make_samples):
    pred = np.zeros((2000, 68, 3), np.float32)
    sample = make_samples([3], aflw_gt, pred_landmarks=pred)[0]
    sample['img_id'] = 2000
    with pytest.raises(ValueError, match=r'img_id 2000 is outside'):
        AFLW2000Metric().process(None, [sample])


def test_missing_images(aflw_gt, make_samples):
    samples = make_samples([0, 3, 5], aflw_gt,  # all |yaw| < 30
                           pred_landmarks=aflw_gt['landmarks'])
    with pytest.raises(ValueError, match=r'1997 of 2000 images were not'):
        run(AFLW2000Metric(), samples)
    out = run(AFLW2000Metric(allow_partial=True), samples)
    assert out['aflw2000/nme_68_2d_all'] == 0.0
    assert np.isnan(out['aflw2000/nme_68_2d_30-60'])  # empty buckets
    assert np.isnan(out['aflw2000/nme_68_2d_mean3'])
    with pytest.raises(ValueError, match=r'more than once.*\[3\]'):
        run(AFLW2000Metric(allow_partial=True), samples + samples[1:2])


def test_evaluator_and_data_samples(aflw_gt):
    """Samples as Face3DDataSample objects, directly and through mmengine's
    Evaluator (which hands metrics their to_dict() form)."""
    ids = [0, 1, 2, 3]
    pred = known_error_predictions(aflw_gt['landmarks'], aflw_gt['yaw'])
    samples = []
    for i in ids:
        sample = Face3DDataSample(
            metainfo=dict(
                img_id=i,
                img_path=aflw_gt['img_paths'][i],
                yaw=float(aflw_gt['yaw'][i])))
        sample.gt_landmarks_img = torch.from_numpy(aflw_gt['landmarks'][i])
        sample.pred_landmarks = torch.from_numpy(pred[i])
        samples.append(sample)
    yaw = np.abs(aflw_gt['yaw'][ids])
    expected = 100 * np.mean(
        np.where(yaw <= 30, 0.01, np.where(yaw <= 60, 0.02, 0.04)))
    evaluator = Evaluator(AFLW2000Metric(allow_partial=True))
    evaluator.process(data_samples=samples, data_batch=None)
    out = evaluator.evaluate(len(samples))
    assert out['aflw2000/nme_68_2d_all'] == pytest.approx(expected)
    metric = AFLW2000Metric(allow_partial=True)
    metric.process(None, samples)
    assert metric.evaluate(4)['aflw2000/nme_68_2d_all'] == \
        pytest.approx(expected)


def test_bad_arguments():
    with pytest.raises(ValueError, match="'2000' or '1998'"):
        AFLW2000Metric(subset='1999')
    with pytest.raises(ValueError, match="'ori' or 're'"):
        AFLW2000Metric(gt='new')


# The acceptance test: ground truth through the test pipeline, the head's
# decoding and the metric.


def packed_samples(dataset, rotate=0.0, flip=False):
    """The AFLW2000-3D data samples of a test pipeline with an in-plane
    rotation of up to ``rotate`` degrees and a horizontal flip; the network
    inputs are dropped."""
    dataset.pipeline = Compose([
        dict(type='LoadFaceImage'),
        dict(type='FaceCrop', rotate_jitter=rotate),
        dict(type='RandomFlip', prob=1.0 if flip else 0.0),
        dict(type='NormalizeFace'),
        dict(type='PackFace3DInputs'),
    ])
    np.random.seed(0)
    return [dataset[i]['data_samples'] for i in range(len(dataset))]


@pytest.fixture(scope='module')
def pipeline_runs(data_root):
    """Data samples of the plain test pipeline, of 10-degree rotations and
    of 10-degree rotations followed by a flip (one dataset, so the 2000 fits
    are converted once)."""
    init_default_scope('mmface3d')
    dataset = AFLW2000Dataset(
        data_root=str(data_root),
        pipeline=[],
        with_params=True,
        test_mode=True)
    return dict(
        plain=packed_samples(dataset),
        rotate=packed_samples(dataset, rotate=10.0),
        rotate_flip=packed_samples(dataset, rotate=10.0, flip=True))


@pytest.fixture(scope='module')
def identity_head():
    """A ParamRegressionHead (3DDFA v1 model and whitening) whose layer
    passes its 62-d feature through: ``predict`` on whitened params is the
    head's decoding of a network that predicted exactly those."""
    head = ParamRegressionHead(in_channels=62)
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(62))
        head.fc.bias.zero_()
    return head


def crop_affines(samples):
    return torch.from_numpy(np.stack([s.crop_affine for s in samples]))


def predict(head, samples, params):
    """Whiten raw crop ``params`` (B, 62) with the head's model and let the
    head decode them into ``samples``."""
    params_white = head.morphable_model.whiten(params.float())
    return head.predict((params_white, ), samples)


def oracle_params(samples):
    """The exact ground-truth face in each sample's crop frame."""
    params_img = torch.stack([s.gt_params_img for s in samples]).double()
    conventions = {s.params_convention for s in samples}
    assert conventions == {'v1'}
    return transform_params(params_img, crop_affines(samples).double(),
                            'v1')


def nme_2d(samples, exclude=()):
    """``aflw2000/nme_68_2d_all`` of the samples' predictions through
    mmengine's Evaluator, without the images ``exclude``."""
    kept = [s for s in samples if s.img_id not in exclude]
    evaluator = Evaluator(AFLW2000Metric(allow_partial=bool(exclude)))
    evaluator.process(data_samples=kept)
    return evaluator.evaluate(len(kept))['aflw2000/nme_68_2d_all']


def crop_angles(samples):
    """(N,) in-plane rotation (deg) of each crop: the affine's second row is
    ``s_y (-sin a, cos a)``, which a horizontal mirror leaves alone."""
    affine = crop_affines(samples).double()
    return np.degrees(np.arctan2(-affine[:, 1, 0], affine[:, 1, 1]).numpy())


@pytest.mark.e2e
def test_oracle_params_through_rotating_and_flipping_pipeline(
        pipeline_runs, identity_head):
    """Ground-truth params used as predictions through a test pipeline with
    a 10-degree rotation and a flip score the same NME as without them (the
    floor, 0.880 %, to 0.001), through the head's decoding and the metric
    that real predictions take.

    The prediction of each sample is the exact ground-truth face in its
    crop frame (``transform_params(gt_params_img, crop_affine)``; after the
    flip an improper camera, the true face seen through a mirror).

    Known exception: image 1902 has a fit with f < 0, an improper camera in
    the image already. The exact transform of its params through a flip is
    then a proper camera on a mirrored crop, which is what a network
    predicts for a mirrored face, so the decoder re-orders its landmarks:
    the flip run is compared with the plain run over the other 1999 images.
    The rotation-only run must match the 2000-image floor.
    """
    plain, rotate, rotate_flip = (pipeline_runs[k]
                                  for k in ('plain', 'rotate', 'rotate_flip'))
    assert [s.img_id for s in rotate_flip] == list(range(2000))
    # the crops really are rotated (uniformly in [-10, 10] degrees) ...
    for samples in (rotate, rotate_flip):
        angles = crop_angles(samples)
        assert np.abs(angles).max() <= 10 + 1e-3
        assert np.abs(angles).max() > 9.9
        assert np.abs(angles).mean() == pytest.approx(5, abs=0.5)
    assert np.abs(crop_angles(plain)).max() < 1e-6
    # ... and mirrored where flipped
    assert not is_reflection(crop_affines(rotate)).any()
    assert is_reflection(crop_affines(rotate_flip)).all()
    assert all(s.flip for s in rotate_flip)
    assert not any(s.flip for s in rotate + plain)
    fit = loadmat(Path(rotate_flip[IMPROPER_FIT].img_path).with_suffix(
        '.mat'))
    assert fit['Pose_Para'][0, 6] < 0  # f

    nmes = {}
    for name, samples in pipeline_runs.items():
        predict(identity_head, samples, oracle_params(samples))
        nmes[name] = (nme_2d(samples), nme_2d(samples, [IMPROPER_FIT]))
    assert nmes['plain'][0] == pytest.approx(FLOOR, abs=1e-3)
    assert nmes['rotate'][0] == pytest.approx(FLOOR, abs=1e-3)
    assert nmes['rotate'][0] == pytest.approx(nmes['plain'][0], abs=1e-3)
    assert nmes['rotate_flip'][1] == pytest.approx(nmes['plain'][1],
                                                   abs=1e-3)


@pytest.mark.e2e
def test_refit_params_after_flip_are_reordered_by_decoder(
        pipeline_runs, identity_head):
    """The flipped sample's own ``gt_params`` (FaceMirror's re-fit: a proper
    camera on a mirrored crop, as a network predicts it) decode to the
    image's face within ~0.15 % NME of the floor (the shape re-fit costs
    ~0.1): the decoder re-orders the mirrored landmarks. Without re-ordering
    the NME is above 10 %.

    Image 1902 (a fit with f < 0) stays improper through the re-fit, which
    no network predicts; it is left out, as in the oracle test."""
    samples = pipeline_runs['rotate_flip']
    params = torch.stack([s.gt_params for s in samples])
    camera = params[:, :12].reshape(-1, 3, 4)[:, :, :3].double()
    proper = torch.linalg.det(camera) > 0
    assert [s.img_id for s, ok in zip(samples, proper) if not ok] == \
        [IMPROPER_FIT]
    predict(identity_head, samples, params)
    plain = pipeline_runs['plain']
    predict(identity_head, plain, oracle_params(plain))
    floor = nme_2d(plain, [IMPROPER_FIT])
    refit = nme_2d(samples, [IMPROPER_FIT])
    assert floor < refit < floor + 0.15

    model = identity_head.morphable_model
    image, mirrored = model.image_params(params, crop_affines(samples))
    assert mirrored.sum() == 1999
    not_reordered = model.landmarks(image).transpose(1, 2)
    for sample, points in zip(samples, not_reordered):
        sample.pred_landmarks = points
    assert nme_2d(samples, [IMPROPER_FIT]) > 10
