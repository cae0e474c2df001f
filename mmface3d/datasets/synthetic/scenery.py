"""Backgrounds and occluders of synthetic face images."""
import cv2
import numpy as np


def _random_colors(rng: np.random.Generator, num: int) -> np.ndarray:
    return rng.uniform(0, 255, (num, 3))


def random_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) uint8: a gradient, smooth noise or random patches,
    plus fine noise."""
    kind = rng.integers(3)
    if kind == 0:
        first, second = _random_colors(rng, 2)
        angle = rng.uniform(0, 2 * np.pi)
        ys, xs = np.mgrid[0:size, 0:size] / (size - 1)
        ramp = xs * np.cos(angle) + ys * np.sin(angle)
        ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
        image = first + ramp[..., None] * (second - first)
    elif kind == 1:
        cells = int(rng.integers(2, 9))
        coarse = rng.uniform(0, 255, (cells, cells, 3)).astype(np.float32)
        image = cv2.resize(
            coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    else:
        image = np.empty((size, size, 3))
        image[:] = _random_colors(rng, 1)[0]
        for _ in range(int(rng.integers(3, 13))):
            random_shape(rng, image, rng.uniform(0, size, 2),
                         rng.uniform(0.05, 0.5) * size)
    image = image + rng.normal(0.0, rng.uniform(0.0, 8.0), image.shape)
    return np.clip(image, 0, 255).round().astype(np.uint8)


def random_shape(rng: np.random.Generator, image: np.ndarray,
                 center: np.ndarray, extent: float) -> None:
    """Draw a filled rectangle or ellipse of a random colour in place."""
    color = tuple(float(c) for c in _random_colors(rng, 1)[0])
    half = np.maximum(rng.uniform(0.3, 1.0, 2) * extent / 2, 1.0)
    if rng.uniform() < 0.5:
        start = tuple(int(v) for v in np.round(center - half))
        end = tuple(int(v) for v in np.round(center + half))
        cv2.rectangle(image, start, end, color, thickness=-1)
    else:
        cv2.ellipse(image, tuple(int(v) for v in np.round(center)),
                    tuple(int(v) for v in np.round(half)),
                    rng.uniform(0, 180), 0, 360, color, thickness=-1)


def draw_occluders(rng: np.random.Generator, image: np.ndarray,
                   landmarks: np.ndarray) -> None:
    """One or two shapes centred on random landmarks, in place.

    Args:
        rng (np.random.Generator): The sample's generator.
        image (np.ndarray): (S, S, 3) uint8 image.
        landmarks (np.ndarray): (68, 2) landmarks in 0-based pixels.
    """
    side = float((landmarks.max(0) - landmarks.min(0)).max())
    for _ in range(int(rng.integers(1, 3))):
        center = landmarks[rng.integers(len(landmarks))]
        random_shape(rng, image, center, rng.uniform(0.25, 0.6) * side)
