"""Rigid alignment of point clouds: a batched closed-form similarity solve
(Kabsch / Umeyama) and iterative closest point (ICP) on top of it."""
from typing import Tuple

import numpy as np
from scipy.spatial import cKDTree


def rigid_transform(source: np.ndarray,
                    target: np.ndarray,
                    with_scale: bool = False
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares ``s R x + t`` mapping ``source`` points onto ``target``.

    Kabsch's solution (Umeyama's with the scale): the SVD of the cross
    covariance, with the sign fix that keeps ``R`` a proper rotation.

    Args:
        source (np.ndarray): (B, N, 3) points.
        target (np.ndarray): (B, N, 3) corresponding points.
        with_scale (bool): Solve for a scale too, else ``s = 1``. Defaults to
            False.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: scale ``s`` (B,),
        rotation ``R`` (B, 3, 3) and translation ``t`` (B, 3).
    """
    mu_s, mu_t = source.mean(1, keepdims=True), target.mean(1, keepdims=True)
    src, dst = source - mu_s, target - mu_t
    cov = dst.transpose(0, 2, 1) @ src / source.shape[1]
    u, sigma, vt = np.linalg.svd(cov)
    sign = np.sign(np.linalg.det(u @ vt))
    sign[sign == 0] = 1.0
    d = np.ones_like(sigma)
    d[:, 2] = sign
    rotation = (u * d[:, None]) @ vt
    if with_scale:
        scale = (sigma * d).sum(1) / (src**2).sum((1, 2)) * source.shape[1]
    else:
        scale = np.ones(source.shape[0])
    translation = mu_t[:, 0] - scale[:, None] * (
        rotation @ mu_s.transpose(0, 2, 1))[..., 0]
    return scale, rotation, translation


def apply_transform(points: np.ndarray, scale: np.ndarray,
                    rotation: np.ndarray,
                    translation: np.ndarray) -> np.ndarray:
    """``s R x + t`` of each point: points (B, N, 3), scale (B,), rotation
    (B, 3, 3), translation (B, 3) -> (B, N, 3)."""
    return scale[:, None, None] * (points @ rotation.transpose(0, 2, 1)) + \
        translation[:, None]


def rigid_icp(source: np.ndarray,
              target: np.ndarray,
              tol: float = 0.01,
              max_iter: int = 100,
              with_scale: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """Align each source cloud onto its target cloud by ICP.

    Each iteration matches every source point to its closest target point
    (a ``cKDTree`` per target) and applies the :func:`rigid_transform` of
    those pairs. A cloud stops when its error (the mean closest-point
    distance) changes by less than ``tol`` between two iterations.

    Args:
        source (np.ndarray): (B, N, 3) clouds to move (e.g. predictions).
        target (np.ndarray): (B, M, 3) fixed clouds (e.g. ground truth).
        tol (float): Convergence threshold on the error change, in the unit
            of the points. Defaults to 0.01.
        max_iter (int): Most iterations per cloud. Defaults to 100.
        with_scale (bool): Also fit a scale. Defaults to False.

    Returns:
        tuple[np.ndarray, np.ndarray]: the aligned source (B, N, 3) and the
        closest-point distance of each aligned source point (B, N).
    """
    if source.ndim != 3 or target.ndim != 3 or source.shape[2] != 3 or \
            target.shape[2] != 3 or source.shape[0] != target.shape[0]:
        raise ValueError(f'source and target must be (B, N, 3) and (B, M, 3),'
                         f' got {source.shape} and {target.shape}')
    target = np.asarray(target, dtype=np.float64)
    current = np.array(source, dtype=np.float64)
    trees = [cKDTree(points) for points in target]

    def closest(rows):
        pairs = [trees[b].query(current[b]) for b in rows]
        return (np.stack([p[0] for p in pairs]),
                np.stack([p[1] for p in pairs]))

    prev_error = np.full(len(trees), np.inf)
    final_dist = np.empty(current.shape[:2])
    active = np.arange(len(trees))
    for _ in range(max_iter):
        dist, index = closest(active)
        error = dist.mean(1)
        moving = np.abs(prev_error[active] - error) >= tol
        prev_error[active] = error
        # A converged cloud does not move again: its distances are final.
        final_dist[active[~moving]] = dist[~moving]
        active, index = active[moving], index[moving]
        if not active.size:
            break
        matched = np.take_along_axis(target[active], index[..., None], 1)
        current[active] = apply_transform(
            current[active],
            *rigid_transform(current[active], matched, with_scale))
    if active.size:  # moved by the last of max_iter iterations
        final_dist[active] = closest(active)[0]
    return current, final_dist
