from .data_root import DATA_ENV, get_data_root, resolve_data_path

__all__ = ['DATA_ENV', 'get_data_root', 'resolve_data_path']
