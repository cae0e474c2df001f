"""Image sizes read from file headers (no decoding)."""
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np
from PIL import Image


def read_image_size(path: Union[str, Path]) -> Tuple[int, int]:
    """``(W, H)`` of an image from its file header.

    Raises:
        ValueError: The file is missing, not an image, or so large that
            Pillow refuses it as a decompression bomb; the message names the
            file.
    """
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise ValueError(
            f'{path}: unreadable image header ({type(err).__name__}: {err})'
        ) from err


def read_image_sizes(paths: Sequence[Union[str, Path]]
                     ) -> Tuple[np.ndarray, List[str]]:
    """Image sizes from the file headers (no decoding).

    Args:
        paths (Sequence[str | Path]): Image files.

    Returns:
        tuple[np.ndarray, list[str]]: (N, 2) int64 ``[W, H]`` (0 where the
        file cannot be read) and one reason per path ('' when readable).
    """
    sizes = np.zeros((len(paths), 2), dtype=np.int64)
    reasons = [''] * len(paths)
    for i, path in enumerate(paths):
        try:
            sizes[i] = read_image_size(path)
        except ValueError as err:
            reasons[i] = str(err)
    return sizes, reasons
