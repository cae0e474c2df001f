"""Image sizes read from file headers (no decoding)."""
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np
from PIL import Image


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
            with Image.open(path) as img:
                sizes[i] = img.size
        except (OSError, ValueError) as err:
            reasons[i] = f'{type(err).__name__}: {err}'
    return sizes, reasons
