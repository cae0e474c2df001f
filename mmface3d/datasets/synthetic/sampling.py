"""Random faces of a synthetic split: pose, shape, expression, scale and
lighting drawn from one numpy generator per sample."""
from typing import Dict

import numpy as np
import torch

from mmface3d.morphable import MorphableModel, pose_to_camera

# Sampling of each split. Angles in degrees; ``*_scale`` multiply the
# whitening std of the shape / expression coefficients; ``landmark_noise``
# is the std (pixels) of the noise on ``landmarks_2d_input``.
SPLITS: Dict[str, dict] = {
    # 300W-LP-like: yaw uniform over the full profile range, GT landmarks.
    '3d':
    dict(
        yaw=('uniform', 90.0),
        pitch_std=10.0,
        pitch_max=30.0,
        roll_std=8.0,
        roll_max=30.0,
        shape_scale=1.0,
        exp_scale=1.0,
        landmark_noise=0.0,
        occlusion_prob=0.2),
    # In-the-wild-like: mostly frontal, stronger expressions and head tilt,
    # detector-like noise on the 2D landmarks, more occlusion.
    '2d':
    dict(
        yaw=('normal', 35.0),
        pitch_std=15.0,
        pitch_max=45.0,
        roll_std=12.0,
        roll_max=45.0,
        shape_scale=1.2,
        exp_scale=1.6,
        landmark_noise=2.0,
        occlusion_prob=0.4),
}
SPLIT_CODES = {'3d': 3, '2d': 2}
# Landmark bbox side / image side of the benchmark crop rule.
FACE_FILL = 1 / np.sqrt(2)
COEF_CLIP = 3.0


def draw_face(rng: np.random.Generator, model: MorphableModel,
              sampling: dict, size: int) -> dict:
    """A random face that fills a ``size`` x ``size`` image as a benchmark
    crop does (landmark bbox about ``FACE_FILL`` of the side, jittered).

    Args:
        rng (np.random.Generator): The sample's generator.
        model (MorphableModel): The model of the params (whitened mean / std
            shape the coefficient distribution).
        sampling (dict): One entry of :data:`SPLITS`.
        size (int): Image side in pixels.

    Returns:
        dict: ``pose`` (3,) ``[yaw, pitch, roll]`` degrees and ``params``
        (P,) float32 image-frame params in the model's convention.
    """
    kind, spread = sampling['yaw']
    yaw = rng.uniform(-spread, spread) if kind == 'uniform' else \
        rng.normal(0.0, spread)
    pose = np.array([
        np.clip(yaw, -90.0, 90.0),
        np.clip(rng.normal(0.0, sampling['pitch_std']),
                -sampling['pitch_max'], sampling['pitch_max']),
        np.clip(rng.normal(0.0, sampling['roll_std']), -sampling['roll_max'],
                sampling['roll_max'])
    ])
    mean = model.param_mean.cpu().numpy().astype(np.float64)
    std = model.param_std.cpu().numpy().astype(np.float64)
    scale = np.r_[np.full(model.n_shape, sampling['shape_scale']),
                  np.full(model.n_exp, sampling['exp_scale'])]
    coef = mean[12:] + std[12:] * scale * np.clip(
        rng.standard_normal(mean.size - 12), -COEF_CLIP, COEF_CLIP)

    # Scale and translation from the rotated landmarks: their bbox is
    # FACE_FILL of the image (jittered), centred (jittered).
    rotation = pose_to_camera(
        torch.from_numpy(pose)[None], torch.ones(1, dtype=torch.float64),
        torch.zeros(1, 3, dtype=torch.float64))[0, :, :3].numpy()
    shape = (model.u_kp.cpu().double().numpy() +
             model.w_kp.cpu().double().numpy() @ coef).reshape(-1, 3).T
    points = rotation @ shape
    lo, hi = points[:2].min(1), points[:2].max(1)
    focal = size * FACE_FILL * rng.uniform(0.9, 1.1) / (hi - lo).max()
    center = size / 2 + rng.uniform(-0.05, 0.05, 2) * size
    # x = f X + tx + dx, y = fy - (f Y + ty) (the convention's flip).
    translation = np.array([
        center[0] - model.flip_x - focal * (lo[0] + hi[0]) / 2,
        model.flip_y - center[1] - focal * (lo[1] + hi[1]) / 2,
        mean[11] + std[11] * rng.standard_normal()
    ])
    camera = np.concatenate([focal * rotation, translation[:, None]], 1)
    params = np.concatenate([camera.reshape(-1), coef]).astype(np.float32)
    return dict(pose=pose, params=params)


def draw_lighting(rng: np.random.Generator) -> dict:
    """Random albedo tint and Lambertian + ambient light of one sample.

    Returns:
        dict: ``albedo`` (3,), ``light_dir`` (3,) unit vector, ``ambient``
        (3,) and ``diffuse`` (3,), float32.
    """
    light = np.deg2rad([rng.uniform(-70, 70), rng.uniform(-40, 60)])
    albedo = rng.uniform(0.55, 1.15) * np.clip(rng.normal(1.0, 0.06, 3), 0.8,
                                               1.2)
    light_dir = np.array([
        np.sin(light[0]) * np.cos(light[1]), -np.sin(light[1]),
        np.cos(light[0]) * np.cos(light[1])
    ])
    ambient = rng.uniform(0.25, 0.6) * np.clip(
        rng.normal(1.0, 0.05, 3), 0.85, 1.15)
    diffuse = np.full(3, rng.uniform(0.3, 0.8))
    return {
        key: value.astype(np.float32)
        for key, value in (('albedo', albedo), ('light_dir', light_dir),
                           ('ambient', ambient), ('diffuse', diffuse))
    }
