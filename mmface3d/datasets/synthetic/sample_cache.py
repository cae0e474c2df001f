"""A per-sample disk cache of rendered synthetic faces (``.png`` + ``.npz``).
"""
import os
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

# Fields rebuilt from the index rather than stored.
NOT_STORED = ('img', 'img_path', 'ori_shape', 'img_shape')


class SampleCache:
    """Samples of one split / seed / sampling written once, read back after.

    Args:
        folder (Path): The cache folder of these settings.
        img_size (int): Image side, to validate what is read.
    """

    def __init__(self, folder: Path, img_size: int) -> None:
        self.folder = Path(folder)
        self.img_size = img_size

    def read(self, index: int) -> Optional[dict]:
        """The stored fields and ``img`` of sample ``index``, or None when it
        is not (completely) in the cache."""
        stem = self.folder / f'{index:06d}'
        png, npz = stem.with_suffix('.png'), stem.with_suffix('.npz')
        if not (png.is_file() and npz.is_file()):
            return None
        image = cv2.imread(str(png), cv2.IMREAD_COLOR)
        if image is None or image.shape != (self.img_size, self.img_size, 3):
            return None
        with np.load(npz, allow_pickle=False) as data:
            sample = {key: data[key] for key in data.files}
        for key in ('has_3d', 'has_2d'):
            sample[key] = bool(sample[key])
        for key in ('yaw', ):
            if key in sample:
                sample[key] = float(sample[key])
        sample['params_convention'] = str(sample['params_convention'])
        sample['img'] = image
        return sample

    def write(self, index: int, sample: dict) -> None:
        """Store sample ``index`` (its ``img`` and array fields)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / f'{index:06d}'
        arrays = {
            key: np.asarray(value)
            for key, value in sample.items() if key not in NOT_STORED
        }
        # Write under temporary names, then rename: dataloader workers may
        # read the same index concurrently.
        tmp = f'.tmp{os.getpid()}'
        png_tmp = stem.with_name(f'{stem.name}{tmp}.png')
        npz_tmp = stem.with_name(f'{stem.name}{tmp}.npz')
        if not cv2.imwrite(str(png_tmp), sample['img']):
            raise OSError(f'could not write the cache image {png_tmp}')
        np.savez(npz_tmp, **arrays)
        os.replace(npz_tmp, stem.with_suffix('.npz'))
        os.replace(png_tmp, stem.with_suffix('.png'))
