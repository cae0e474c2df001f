"""Temporal smoothing: the filters' first steps by hand, and a face tracked
over frames with a jittering box."""
import math

import numpy as np
import pytest
import torch

from mmface3d.apis import ParamSmoother, inference_model


def test_ema_steps_by_hand():
    smoother = ParamSmoother('ema', alpha=0.25)
    state = smoother.filter(torch.tensor([4.0]), None)
    assert state['x'].item() == 4.0
    state = smoother.filter(torch.tensor([8.0]), state)
    assert state['x'].item() == pytest.approx(0.25 * 8 + 0.75 * 4)


def test_one_euro_steps_by_hand():
    fps, min_cutoff, beta, d_cutoff = 10.0, 1.0, 0.5, 2.0
    smoother = ParamSmoother('one_euro', min_cutoff=min_cutoff, beta=beta,
                             d_cutoff=d_cutoff, fps=fps)
    state = smoother.filter(torch.tensor([0.0]), None)
    state = smoother.filter(torch.tensor([1.0]), state)

    def weight(cutoff):  # 1 / (1 + tau / Te), tau = 1 / (2 pi f_c)
        return 1 / (1 + (1 / (2 * math.pi * cutoff)) * fps)

    speed = weight(d_cutoff) * (1.0 - 0.0) * fps
    a = weight(min_cutoff + beta * speed)
    assert state['dx'].item() == pytest.approx(speed, rel=1e-5)
    assert state['x'].item() == pytest.approx(a, rel=1e-5)


def test_bad_settings():
    with pytest.raises(ValueError, match='method'):
        ParamSmoother('kalman')
    with pytest.raises(ValueError, match='alpha'):
        ParamSmoother(alpha=0)


def test_smooths_a_jittering_face(tddfa_v2, aflw_slice):
    """The same photo with the face box shifted back and forth: smoothed
    landmarks move less from frame to frame than raw ones, and the face
    keeps its track."""
    path = aflw_slice['paths'][0]
    base = np.array([131.9, 98.2, 337.8, 374.8])
    shifts = [0, 12, -10, 14, -12, 10]
    smoother = ParamSmoother('ema', alpha=0.3)
    raw, smooth = [], []
    for shift in shifts:
        box = base + [shift, shift, shift, shift]
        faces = inference_model(tddfa_v2, path, bboxes=box[None], refine=0)
        raw.append(faces[0].pred_landmarks.clone())
        smoother(tddfa_v2, faces)
        smooth.append(faces[0].pred_landmarks.clone())
        assert faces[0].metainfo['track_id'] == 0
        # everything decoded again from the smoothed params
        torch.testing.assert_close(
            faces[0].pred_vertices[tddfa_v2.morphable_model.keypoints][:, :2],
            faces[0].pred_landmarks[:, :2], atol=1e-3, rtol=0)

    def jitter(frames):
        return np.mean([(b - a)[:, :2].norm(dim=1).mean().item()
                        for a, b in zip(frames, frames[1:])])

    assert jitter(smooth) < 0.6 * jitter(raw)
    # a frame without faces ends the tracks
    smoother(tddfa_v2, [])
    assert smoother.tracks == []
