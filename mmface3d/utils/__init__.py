from .data_root import DATA_ENV, get_data_root, resolve_data_path
from .mesh_io import save_obj, save_ply
from .download import (ChecksumError, DownloadError, download_file,
                       file_sha256)

__all__ = ['DATA_ENV', 'get_data_root', 'resolve_data_path', 'save_obj', 'save_ply',
    'ChecksumError', 'DownloadError', 'download_file', 'file_sha256']
from .checkpoint import load_from_local_checked, pickled_globals  # noqa: E402

__all__ += ['load_from_local_checked', 'pickled_globals']
