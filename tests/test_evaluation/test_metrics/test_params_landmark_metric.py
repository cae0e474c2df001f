"""ParamsLandmarkMetric: the 68-point NME of predictions against the
landmarks of the samples' ground-truth (teacher) params, on real AFLW2000-3D
fits turned into image-frame params and decoded by hand from the raw BFM
files (REFERENCE.md sections 2 and 3), never by the package."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from reference_formulas import rotation_matrices
from scipy.io import loadmat

from mmface3d.evaluation import ParamsLandmarkMetric
from mmface3d.structures import Face3DDataSample

# AFLW2000-3D list rows, yaws from near-frontal to profile
ROWS = [0, 3, 100, 1000, 1500]
IMG_HEIGHT = 450
# the models of the two releases, as a prediction's metainfo names them
MODEL_V1 = dict(
    type='MorphableModel', model_path='bfm', layout='3ddfa',
    param_stats=None, convention='v1')
MODEL_V2 = dict(
    type='MorphableModel', model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2', param_stats=None, convention='v2')
# (dx, fy) of each convention's flip x + dx, fy - y (REFERENCE.md section 2)
FLIPS = dict(v1=(0.0, 121.0), v2=(-1.0, 120.0))
CONTOUR = 17  # the jaw line: the first 17 of the 68 points


def bfm_keypoints(data_root, layout):
    """(204,) mean and (204, 50) basis rows of the 68 landmarks of a raw BFM
    release (xyz interleaved)."""
    bfm = data_root / 'bfm'
    if layout == '3ddfa':
        u = np.load(bfm / 'u_shp.npy') + np.load(bfm / 'u_exp.npy')
        w = np.concatenate([np.load(bfm / 'w_shp_sim.npy')[:, :40],
                            np.load(bfm / 'w_exp_sim.npy')[:, :10]], 1)
        rows = np.load(bfm / 'keypoints_sim.npy')
    else:
        with open(bfm / 'bfm_noneck_v3.pkl', 'rb') as f:
            arrays = pickle.load(f)
        u = arrays['u']
        w = np.concatenate([arrays['w_shp'], arrays['w_exp']], 1)
        rows = arrays['keypoints']
    return u[rows, 0].astype(np.float64), w[rows].astype(np.float64)


def decode(params, keypoints, convention):
    """(B, 62) params -> (B, 68, 2) projected, flipped landmarks."""
    u, w = keypoints
    shape = (u + params[:, 12:] @ w.T).reshape(len(params), 68, 3)
    camera = params[:, :12].reshape(-1, 3, 4)
    rotation, translation = camera[:, :, :3], camera[:, :, 3]
    points = shape @ rotation.transpose(0, 2, 1) + translation[:, None]
    dx, fy = FLIPS[convention]
    return np.stack([points[..., 0] + dx, fy - points[..., 1]], 2)


@pytest.fixture(scope='module')
def fits(data_root):
    """The :data:`ROWS` fits as image-frame params in both conventions:
    ``params`` {convention: (B, 62)} (camera f R of REFERENCE.md section 3,
    translation moved to the convention's flip), ``pt3d_68`` (B, 68, 2)
    annotations and ``landmarks`` {model convention: (B, 68, 2)} decoded by
    hand with each release's BFM."""
    ann = data_root / 'aflw2000_3d'
    names = (ann / 'annotations/AFLW2000-3D.list').read_text().split()
    mats = [
        loadmat(str(ann / 'AFLW2000' / names[i].replace('.jpg', '.mat')))
        for i in ROWS
    ]
    pose = np.stack([m['Pose_Para'][0] for m in mats]).astype(np.float64)
    rotation = pose[:, 6, None, None] * rotation_matrices(*pose[:, :3].T)
    alpha = np.stack([
        np.r_[m['Shape_Para'][:40, 0], m['Exp_Para'][:10, 0]] for m in mats
    ])
    params = {}
    for convention, (dx, fy) in FLIPS.items():
        # V_y = ty + ... gives y_img = H + 1 - V_y; the convention flips fy
        t = np.stack([pose[:, 3] - dx, pose[:, 4] + fy - (IMG_HEIGHT + 1),
                      pose[:, 5]], 1)
        params[convention] = np.concatenate(
            [np.concatenate([rotation, t[..., None]], 2).reshape(-1, 12),
             alpha], 1)
    pt3d = np.stack([m['pt3d_68'][:2].T for m in mats])
    landmarks = dict(
        v1=decode(params['v1'], bfm_keypoints(data_root, '3ddfa'), 'v1'),
        v2=decode(params['v2'], bfm_keypoints(data_root, '3ddfa_v2'), 'v2'))
    return dict(params=params, pt3d_68=pt3d, landmarks=landmarks)


def box_size(points):
    return np.sqrt(np.prod(points.max(1) - points.min(1), axis=1))


def test_hand_decoding_matches_the_annotations(fits):
    """The fixture's hand decoding puts the fits on their images: within
    the 40 + 10 truncation floor of pt3d_68 (REFERENCE.md section 3: worst
    image 2.61 %), for both releases' BFM."""
    for landmarks in fits['landmarks'].values():
        nme = np.linalg.norm(landmarks - fits['pt3d_68'], axis=2).mean(1) / \
            box_size(fits['pt3d_68'])
        assert (nme < 0.0261).all(), nme


def samples_of(fits, model_cfg, conventions, pred, excluded=()):
    """Data samples as the 2DASL validation gives them: ``gt_params_img``
    with its ``params_convention``, ``pred_landmarks`` (68, 3) and the
    predicting model's ``pred_morphable_model``; ``excluded``: indices
    marked as excluded by the dataset."""
    samples = []
    for i, convention in enumerate(conventions):
        sample = Face3DDataSample(
            metainfo=dict(
                img_id=ROWS[i],
                img_path=f'image{ROWS[i]:05d}.jpg',
                params_convention=convention,
                pred_morphable_model=dict(model_cfg)))
        if i in excluded:
            sample.set_metainfo(dict(excluded='unreadable image'))
        else:
            sample.gt_params_img = torch.from_numpy(
                fits['params'][convention][i]).float()
            sample.pred_landmarks = torch.from_numpy(pred[i]).float()
        samples.append(sample)
    return samples


def evaluate(samples):
    evaluator = Evaluator(ParamsLandmarkMetric(prefix='teacher_val'))
    evaluator.process(data_samples=samples, data_batch=None)
    return evaluator.evaluate(len(samples))


def with_depth(points, z=50.0):
    """(B, 68, 2) -> (B, 68, 3) with a depth that must not count."""
    return np.concatenate([points, np.full(points.shape[:2] + (1, ), z)], 2)


@pytest.mark.parametrize('model_cfg, conventions', [
    (MODEL_V1, ['v1'] * len(ROWS)),
    (MODEL_V2, ['v2'] * len(ROWS)),
    (MODEL_V2, ['v1', 'v2', 'v1', 'v2', 'v2']),
    (MODEL_V1, ['v2', 'v1', 'v2', 'v1', 'v1']),
])
def test_teacher_predictions_score_zero(fits, model_cfg, conventions):
    """Predictions at the hand-decoded landmarks of the ground-truth params
    (the predicting model's BFM) score 0 on all 68 and the contour, whatever
    convention each sample's params are in."""
    pred = with_depth(fits['landmarks'][model_cfg['convention']])
    out = evaluate(samples_of(fits, model_cfg, conventions, pred))
    assert set(out) == {
        'teacher_val/nme_68_2d_all', 'teacher_val/nme_contour_2d_all'
    }
    assert out['teacher_val/nme_68_2d_all'] == pytest.approx(0, abs=1e-4)
    assert out['teacher_val/nme_contour_2d_all'] == pytest.approx(
        0, abs=1e-4)


@pytest.mark.parametrize('shifted, nme_68, nme_contour', [
    (slice(0, 68), 1.0, 1.0),  # every point 5 px off
    (slice(0, CONTOUR), 17 / 68, 1.0),  # the jaw line only
    (slice(CONTOUR, 68), 51 / 68, 0.0),  # all but the jaw line
])
def test_known_shift(fits, shifted, nme_68, nme_contour):
    """A (3, 4) px shift of some predicted points (5 px each) gives the hand
    NME: 5 px times the shifted share of the points over ``sqrt(w * h)`` of
    the decoded 68-point box, per image, then averaged (percent); the
    contour NME sees only the first 17 points."""
    gt = fits['landmarks']['v2']
    pred = gt.copy()
    pred[:, shifted] += [3.0, 4.0]
    out = evaluate(
        samples_of(fits, MODEL_V2, ['v2'] * len(ROWS), with_depth(pred)))
    per_image = 100 * 5.0 / box_size(gt)
    assert out['teacher_val/nme_68_2d_all'] == pytest.approx(
        nme_68 * per_image.mean(), rel=1e-4)
    assert out['teacher_val/nme_contour_2d_all'] == pytest.approx(
        nme_contour * per_image.mean(), rel=1e-4, abs=1e-4)


def test_excluded_samples_left_out(fits):
    """A sample its dataset excluded is not scored (the others' NME is that
    of the others alone); with every sample excluded the metric refuses."""
    gt = fits['landmarks']['v2']
    pred = gt.copy()
    pred[1:] += [3.0, 4.0]
    out = evaluate(
        samples_of(fits, MODEL_V2, ['v2'] * len(ROWS), with_depth(pred),
                   excluded=[0]))
    assert out['teacher_val/nme_68_2d_all'] == pytest.approx(
        100 * np.mean(5.0 / box_size(gt[1:])), rel=1e-4)
    with pytest.raises(ValueError, match='every sample was excluded'):
        evaluate(
            samples_of(fits, MODEL_V2, ['v2'] * len(ROWS), with_depth(pred),
                       excluded=range(len(ROWS))))
