import numpy as np
import pytest

from mmface3d.evaluation import Reconstruction3DMetric
from mmface3d.evaluation.metrics import base_aflw2000_metric
from mmface3d.morphable import MorphableModel

# images with square benchmark boxes (so the crop-to-image map is a uniform
# scale) in all three yaw buckets
IDS = [0, 2, 1, 14]


def rotated_params(params, degrees):
    """Rotate the face about the model's y axis before projection: a rigid
    motion of the mesh in the image."""
    a = np.deg2rad(degrees)
    ry = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0],
                   [np.sin(a), 0, np.cos(a)]], np.float32)
    params = params.copy()
    camera = params[:, :12].reshape(-1, 3, 4)
    camera[:, :, :3] = camera[:, :, :3] @ ry
    camera[:, :, 3] += [3.0, -2.0, 5.0]
    params[:, :12] = camera.reshape(-1, 12)
    return params


def gt_samples(make_samples, aflw_gt, gt_predictions, params):
    return make_samples(
        IDS, aflw_gt, mesh_cfg=gt_predictions['mesh_cfg'],
        pred_params=params, crop_affine=gt_predictions['crop_affines'])


def evaluate(samples, **kwargs):
    metric = Reconstruction3DMetric(allow_partial=True, **kwargs)
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_rigidly_moved_face_gives_zero(aflw_gt, gt_predictions,
                                       make_samples):
    boxes = aflw_gt['roi_boxes'][IDS]
    assert (boxes[:, 2] - boxes[:, 0] == boxes[:, 3] - boxes[:, 1]).all()
    samples = gt_samples(make_samples, aflw_gt, gt_predictions,
                         rotated_params(gt_predictions['params'], 3))
    out = evaluate(samples)
    assert set(out) == {
        f'aflw2000/recon_nme_gt40+10_{k}'
        for k in ('0-30', '30-60', '60-90', 'mean3', 'std3', 'all')
    }
    assert out['aflw2000/recon_nme_gt40+10_all'] < 1e-3
    out = evaluate(samples, distance='corresponding')
    assert out['aflw2000/recon_nme_corr_gt40+10_all'] < 1e-3


def test_correspondence_init_after_10_degrees(aflw_gt, gt_predictions,
                                              make_samples):
    samples = gt_samples(make_samples, aflw_gt, gt_predictions,
                         rotated_params(gt_predictions['params'], 10))
    out = evaluate(samples, init='correspondence', with_scale=True)
    assert out['aflw2000/recon_nme_vinit_scaled_gt40+10_all'] < 1e-3


def test_shape_error_remains_after_icp(aflw_gt, gt_predictions,
                                       make_samples):
    params = gt_predictions['params'].copy()
    params[:, 12:22] += np.float32(3e5)  # a different face shape
    samples = gt_samples(make_samples, aflw_gt, gt_predictions,
                         rotated_params(params, 10))
    closest = evaluate(samples)['aflw2000/recon_nme_gt40+10_all']
    corresponding = evaluate(samples, distance='corresponding')[
        'aflw2000/recon_nme_corr_gt40+10_all']
    # after the same alignment, the closest point is never farther than the
    # same vertex
    assert 0.1 < closest <= corresponding


def test_scores_only_every_step_th_vertex(aflw_gt, gt_predictions,
                                          make_samples, monkeypatch):
    """Only vertices 0, step, 2 step, ... are rebuilt (1065 of the 53215
    for step 50), for both meshes."""
    reconstruct = MorphableModel.reconstruct
    calls = []

    def spy(self, params, vertex_ids=None):
        calls.append(vertex_ids)
        return reconstruct(self, params, vertex_ids)

    monkeypatch.setattr(MorphableModel, 'reconstruct', spy)
    evaluate(gt_samples(make_samples, aflw_gt, gt_predictions,
                        gt_predictions['params']))
    assert len(calls) == 2  # one chunk: predictions and ground truth
    for vertex_ids in calls:
        assert len(vertex_ids) == 1065  # ceil(53215 / 50)
        assert vertex_ids[:3].tolist() == [0, 50, 100]
        assert (vertex_ids.diff() == 50).all()


def test_bad_options_fail_before_loading_the_bfm(monkeypatch):
    """Argument errors come from the constructor, before any BFM file is
    read (building a MorphableModel fails the test)."""
    def fail(*args, **kwargs):
        raise AssertionError('the BFM must not be loaded')

    monkeypatch.setattr(MorphableModel, '__init__', fail)
    monkeypatch.setattr(base_aflw2000_metric, 'get_morphable_model', fail)
    with pytest.raises(ValueError, match='step must be an int >= 1, got 0'):
        Reconstruction3DMetric(step=0)
    with pytest.raises(ValueError, match='step must be an int >= 1'):
        Reconstruction3DMetric(step=2.5)
    with pytest.raises(ValueError, match="'closest' or 'corresponding'"):
        Reconstruction3DMetric(distance='nearest')
    with pytest.raises(ValueError, match="'identity' or 'correspondence'"):
        Reconstruction3DMetric(init='centroid')
