"""Helpers shared by the photometric transforms."""
import numpy as np

# ITU-R BT.601 luma weights in BGR order (OpenCV's BGR2GRAY).
GRAY_WEIGHTS_BGR = np.array([0.114, 0.587, 0.299], dtype=np.float32)


def check_uint8_image(results: dict, name: str) -> np.ndarray:
    """``results['img']`` if it is an (H, W, 3) uint8 image, else an error
    naming the transform and the file."""
    img = results['img']
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(
            f'{results.get("img_path")}: {name} needs an (H, W, 3) uint8 BGR '
            f'img (place it before NormalizeFace), got {img.dtype} '
            f'{img.shape}')
    return img


def to_gray(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) float BGR -> (H, W) gray levels."""
    return img @ GRAY_WEIGHTS_BGR
