"""Image loading with explicit errors for files a dataset should skip."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform

from mmface3d.registry import TRANSFORMS
from .face_data_error import FaceImageError

JPEG_START, JPEG_END = b'\xff\xd8', b'\xff\xd9'


@TRANSFORMS.register_module()
class LoadFaceImage(BaseTransform):
    """Load a face image as 3-channel BGR uint8.

    Grayscale images are replicated to 3 channels, the alpha channel of
    BGRA images is dropped and 16-bit images are scaled to 8 bits. EXIF
    orientation is ignored: annotations refer to the stored pixel grid.

    Required Keys:

    - img_path

    Added Keys:

    - img (np.ndarray): (H, W, 3) uint8 BGR.
    - img_shape (tuple): (H, W).
    - ori_shape (tuple): (H, W).

    Args:
        check_truncated (bool): Reject JPEG files that do not end with the
            end-of-image marker (a decoder may silently return a partly grey
            image for them). Defaults to True.
        imdecode_backend (str): ``mmcv.imfrombytes`` backend. Defaults to
            ``'cv2'``.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.

    Raises:
        FaceImageError: The file is missing, unreadable, not a decodable
            image, a truncated JPEG, or has an unsupported pixel format; the
            error names the file and the reason.
    """

    def __init__(self,
                 check_truncated: bool = True,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.check_truncated = check_truncated
        self.imdecode_backend = imdecode_backend
        self.backend_args = None if backend_args is None else \
            backend_args.copy()

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        if path is None:
            raise KeyError('LoadFaceImage needs `img_path` in the results')
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except OSError as err:
            raise FaceImageError(path, f'cannot read the file ({err})') \
                from err
        if not content:
            raise FaceImageError(path, 'the file is empty')
        if self.check_truncated and content[:2] == JPEG_START and \
                not content.rstrip(b'\x00\r\n ').endswith(JPEG_END):
            raise FaceImageError(
                path, 'truncated JPEG (no end-of-image marker)')
        img = mmcv.imfrombytes(
            content, flag='unchanged', backend=self.imdecode_backend)
        if img is None:
            raise FaceImageError(path, 'not a decodable image')
        results['img'] = self._to_bgr(img, path)
        results['img_shape'] = results['img'].shape[:2]
        results['ori_shape'] = results['img'].shape[:2]
        return results

    @staticmethod
    def _to_bgr(img: np.ndarray, path: str) -> np.ndarray:
        """Any decoded layout -> (H, W, 3) uint8 BGR."""
        if img.dtype == np.uint16:
            img = np.round(img / 257.0).astype(np.uint8)
        elif img.dtype != np.uint8:
            raise FaceImageError(
                path, f'unsupported pixel type {img.dtype} (expected 8 or '
                '16-bit integers)')
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[:, :, 0]
        if img.ndim == 2:
            return np.ascontiguousarray(np.repeat(img[:, :, None], 3, 2))
        if img.ndim == 3 and img.shape[2] in (3, 4):
            return np.ascontiguousarray(img[:, :, :3])
        raise FaceImageError(
            path, f'unsupported image layout {img.shape} (expected gray, '
            'BGR or BGRA)')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'check_truncated={self.check_truncated}, '
                f"imdecode_backend='{self.imdecode_backend}', "
                f'backend_args={self.backend_args})')
