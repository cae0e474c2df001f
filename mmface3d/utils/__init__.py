from .data_root import DATA_ENV, get_data_root, resolve_data_path
from .mesh_io import save_obj, save_ply

__all__ = ['DATA_ENV', 'get_data_root', 'resolve_data_path', 'save_obj', 'save_ply']
