"""A tiny morphable model on disk for fast model tests.

68 vertices (all of them landmarks) in the 3DDFA_V2 pickle layout, with
whitening statistics whose mean is a known camera: scale ``S`` and
translation ``T``, no rotation, zero shape and expression.
"""
import pickle

import numpy as np
import pytest

NUM_VERTICES = 68
S = 0.5
T = np.array([60.0, 50.0, 10.0])


def tiny_mean_params() -> np.ndarray:
    """(62,) raw params: ``[S*I | T]`` camera, zero shape and expression."""
    params = np.zeros(62)
    params[:12] = np.concatenate([S * np.eye(3), T[:, None]], 1).reshape(-1)
    return params


@pytest.fixture(scope='session')
def tiny_bfm_files(tmp_path_factory):
    """Paths of the tiny BFM pickle and its whitening pickle, with the
    arrays written there: ``vertices`` (68, 3), ``shape_basis`` (204, 40),
    ``mean_params`` (62,) and ``std`` (62,)."""
    root = tmp_path_factory.mktemp('tiny_bfm')
    rng = np.random.default_rng(0)
    vertices = rng.uniform(-40, 40, (NUM_VERTICES, 3))
    arrays = dict(
        u=vertices.reshape(-1, 1).astype(np.float32),
        w_shp=rng.normal(0, 1, (3 * NUM_VERTICES, 40)).astype(np.float32),
        w_exp=rng.normal(0, 1, (3 * NUM_VERTICES, 10)).astype(np.float32),
        keypoints=np.arange(3 * NUM_VERTICES, dtype=np.int64),
        tri=np.array([[0, 1], [1, 2], [2, 3]], dtype=np.int64))
    stats = dict(
        mean=tiny_mean_params().astype(np.float32),
        std=np.linspace(0.5, 2.0, 62).astype(np.float32))
    model_path = root / 'tiny_bfm.pkl'
    stats_path = root / 'tiny_stats.pkl'
    model_path.write_bytes(pickle.dumps(arrays))
    stats_path.write_bytes(pickle.dumps(stats))
    return dict(
        model_path=str(model_path),
        param_stats=str(stats_path),
        vertices=vertices,
        shape_basis=arrays['w_shp'].astype(np.float64),
        mean_params=tiny_mean_params(),
        std=stats['std'].astype(np.float64))


@pytest.fixture
def tiny_morphable_cfg(tiny_bfm_files):
    """MorphableModel config of the tiny model (v1 flip convention)."""
    return dict(
        type='MorphableModel',
        model_path=tiny_bfm_files['model_path'],
        layout='3ddfa_v2',
        param_stats=tiny_bfm_files['param_stats'],
        convention='v1')
