"""Crop boxes: the 3DDFA benchmark rule from landmarks (REFERENCE.md
section 3), the 3DDFA_V2 rule from a face detector's box, and tight boxes of
the visible points."""
import numpy as np


def benchmark_roi_box(landmarks: np.ndarray, img_width: int,
                      img_height: int) -> np.ndarray:
    """The 3DDFA benchmark crop box from 68 landmarks.

    The square around the landmark bbox (side ``max(w, h)``) is enlarged to
    its diagonal; its start is rounded, its side rounded, and the box clipped
    to the 1-based image ``[1, W] x [1, H]``. This reproduces
    ``AFLW2000-3D_crop.roi_box.npy`` exactly.

    Args:
        landmarks (np.ndarray): (B, 2+, 68) landmarks, x in row 0, y in row 1.
        img_width (int): Image width W.
        img_height (int): Image height H.

    Returns:
        np.ndarray: (B, 4) float boxes ``[sx, sy, ex, ey]``.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.ndim != 3 or landmarks.shape[1] < 2:
        raise ValueError(
            f'landmarks must be (B, 2+, K), got {landmarks.shape}')
    lo, hi = landmarks[:, :2].min(2), landmarks[:, :2].max(2)
    center = (lo + hi) / 2
    side = np.sqrt(2) * (hi - lo).max(1, keepdims=True)
    start = np.round(center - side / 2)
    box = np.concatenate([start, start + np.round(side)], axis=1)
    return np.clip(box, 1, [img_width, img_height, img_width, img_height])


def detector_roi_box(bboxes: np.ndarray,
                     scale: float = 1.58,
                     center_shift: float = 0.14) -> np.ndarray:
    """The crop box of a face detector's box (the 3DDFA_V2 rule).

    A detector box (FaceBoxes, dlib, S3FD) holds the face from the forehead
    to the chin, tighter than the benchmark crop and centred higher than the
    68 landmarks. With ``m`` the mean of the box's width and height, the
    crop is the square of side ``scale * m`` centred ``center_shift * m``
    below the box centre. The box is neither rounded nor clipped: the crop
    (:class:`~mmface3d.datasets.transforms.FaceCrop`) rounds it and fills
    what lies outside the image with zeros.

    Args:
        bboxes (np.ndarray): (B, 4+) detector boxes ``[x0, y0, x1, y1,
            ...]`` in image pixels (a score column is ignored).
        scale (float): Crop side over the mean box side. Defaults to 1.58.
        center_shift (float): Downward shift of the centre, in mean box
            sides. Defaults to 0.14.

    Returns:
        np.ndarray: (B, 4) float64 crop boxes ``[sx, sy, ex, ey]``.
    """
    bboxes = np.asarray(bboxes, dtype=np.float64)
    if bboxes.ndim != 2 or bboxes.shape[1] < 4:
        raise ValueError(
            f'bboxes must be (B, 4+) [x0, y0, x1, y1, ...], got '
            f'{bboxes.shape}')
    lo, hi = bboxes[:, :2], bboxes[:, 2:4]
    if not np.isfinite(bboxes[:, :4]).all() or (hi <= lo).any():
        raise ValueError('bboxes must be finite with x1 > x0 and y1 > y0, '
                         f'got {bboxes[:, :4].tolist()}')
    mean_side = (hi - lo).mean(1, keepdims=True)
    center = (lo + hi) / 2 + [0.0, 1.0] * (center_shift * mean_side)
    half = scale * mean_side / 2
    return np.concatenate([center - half, center + half], axis=1)


def _fill_hidden(points: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Copy of ``points`` whose hidden points sit on the mean of the visible
    ones, so that min / max over all points are those of the visible ones."""
    count = visible.sum(1, keepdims=True)
    if (count == 0).any():
        raise ValueError('every sample needs at least one visible point')
    mean = (points * visible[..., None]).sum(1) / count
    return np.where(visible[..., None], points, mean[:, None])


def roi_boxes_from_landmarks(points: np.ndarray, visible: np.ndarray,
                             sizes: np.ndarray) -> np.ndarray:
    """The benchmark crop box (REFERENCE.md section 3) of the visible points.

    Args:
        points (np.ndarray): (N, K, 2) landmarks in image pixels.
        visible (np.ndarray): (N, K) bool.
        sizes (np.ndarray): (N, 2) image sizes ``[W, H]``.

    Returns:
        np.ndarray: (N, 4) float32 ``[sx, sy, ex, ey]``, clipped to the image.
    """
    filled = _fill_hidden(points.astype(np.float64), visible)
    boxes = np.zeros((points.shape[0], 4), dtype=np.float32)
    unique, inverse = np.unique(sizes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    for k, (width, height) in enumerate(unique):
        rows = inverse == k
        boxes[rows] = benchmark_roi_box(filled[rows].transpose(0, 2, 1),
                                        int(width), int(height))
    return boxes


def bbox_of_visible(points: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """(N, K, 2) points, (N, K) visibility -> (N, 4) float32 tight boxes
    ``[x0, y0, x1, y1]`` of the visible points."""
    filled = _fill_hidden(points.astype(np.float64), visible)
    return np.concatenate([filled.min(1), filled.max(1)],
                          axis=1).astype(np.float32)
