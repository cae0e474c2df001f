from .benchmark import median_time
from .cli import add_common_args, apply_common_args, run_tool
from .data_root import DATA_ENV, get_data_root, resolve_data_path
from .download import ChecksumError, DownloadError, download_file, file_sha256
from .mesh_io import sample_vertex_colors, save_obj, save_ply

__all__ = [
    'DATA_ENV', 'get_data_root', 'resolve_data_path', 'save_obj', 'save_ply',
    'sample_vertex_colors',
    'ChecksumError', 'DownloadError', 'download_file', 'file_sha256',
    'median_time', 'add_common_args', 'apply_common_args', 'run_tool'
]
