"""Image loading with explicit errors for files a dataset should skip."""
import os
import sys
import tempfile
from typing import Optional, Tuple

import cv2
import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform

from mmface3d.registry import TRANSFORMS
from .face_data_error import FaceImageError

JPEG_START, JPEG_END = b'\xff\xd8', b'\xff\xd9'
# libjpeg's warnings about damaged data: OpenCV prints them to stderr and
# returns a partly garbled image.
JPEG_WARNINGS = ('Corrupt JPEG data', 'Premature end of JPEG file')


def imdecode_with_messages(
        content: bytes) -> Tuple[Optional[np.ndarray], str]:
    """``cv2.imdecode`` (unchanged layout) with what the decoder printed.

    The process's stderr (file descriptor 2, where libjpeg writes) is
    redirected to a temporary file for the call.

    Returns:
        tuple: the image (None when undecodable) and the decoder's messages.
    """
    sys.stderr.flush()
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            img = cv2.imdecode(
                np.frombuffer(content, np.uint8), cv2.IMREAD_UNCHANGED)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        return img, capture.read().decode(errors='replace')


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
        check_corrupt (bool): Reject JPEG files whose decoding makes libjpeg
            warn about corrupt data (OpenCV then returns a garbled image;
            ``'cv2'`` backend only). Defaults to True.
        imdecode_backend (str): ``mmcv.imfrombytes`` backend. Defaults to
            ``'cv2'``.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.

    Raises:
        FaceImageError: The file is missing, unreadable, not a decodable
            image, a truncated or corrupt JPEG, or has an unsupported pixel
            format; the error names the file and the reason.
    """

    def __init__(self,
                 check_truncated: bool = True,
                 check_corrupt: bool = True,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.check_truncated = check_truncated
        self.check_corrupt = check_corrupt
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
        img = self._decode(content, path)
        if img is None:
            raise FaceImageError(path, 'not a decodable image')
        results['img'] = self._to_bgr(img, path)
        results['img_shape'] = results['img'].shape[:2]
        results['ori_shape'] = results['img'].shape[:2]
        return results

    def _decode(self, content: bytes, path: str) -> Optional[np.ndarray]:
        if not (self.check_corrupt and self.imdecode_backend == 'cv2'
                and content[:2] == JPEG_START):
            return mmcv.imfrombytes(
                content, flag='unchanged', backend=self.imdecode_backend)
        img, messages = imdecode_with_messages(content)
        damage = [
            line for line in messages.splitlines()
            if line.startswith(JPEG_WARNINGS)
        ]
        other = [line for line in messages.splitlines() if line not in damage]
        if other:
            print('\n'.join(other), file=sys.stderr)
        if damage:
            raise FaceImageError(path, f'corrupt JPEG data ({damage[0]})')
        return img

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
                f'check_corrupt={self.check_corrupt}, '
                f"imdecode_backend='{self.imdecode_backend}', "
                f'backend_args={self.backend_args})')
