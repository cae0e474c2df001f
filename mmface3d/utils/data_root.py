"""Where mmface3d finds its data (BFM arrays, benchmark sets, weights)."""
import os
from pathlib import Path
from typing import Optional, Union

DATA_ENV = 'MMFACE3D_DATA'
REPO_DATA = Path(__file__).resolve().parents[2] / 'data'


def get_data_root(data_root: Optional[Union[str, Path]] = None) -> Path:
    """Resolve the data root.

    Priority: the explicit ``data_root`` (a config's ``data_root``) > the
    ``MMFACE3D_DATA`` environment variable > ``<repo>/data``. A relative
    root is taken relative to the current working directory, where it was
    given, and returned absolute, so a path resolved against it never
    resolves a second time.

    Args:
        data_root (str | Path, optional): Explicit data root. Defaults to None.

    Returns:
        Path: The absolute data root (it may not exist yet).
    """
    if data_root is None:
        data_root = os.environ.get(DATA_ENV) or REPO_DATA
    return Path(data_root).expanduser().absolute()


def resolve_data_path(path: Union[str, Path],
                      data_root: Optional[Union[str, Path]] = None,
                      must_exist: bool = True) -> Path:
    """Resolve ``path`` against the data root unless it is absolute.

    Args:
        path (str | Path): A path like ``'bfm/u_shp.npy'`` or an absolute path.
        data_root (str | Path, optional): Explicit data root, see
            :func:`get_data_root`. Defaults to None.
        must_exist (bool): Raise if the resolved path does not exist.
            Defaults to True.

    Returns:
        Path: The resolved path, absolute.

    Raises:
        FileNotFoundError: If ``must_exist`` and the path is missing; the
            message says where it looked and how to set the data root.
    """
    resolved = get_data_root(data_root) / Path(path).expanduser()
    if must_exist and not resolved.exists():
        raise FileNotFoundError(
            f'{resolved} does not exist. mmface3d looks for data under the '
            f'config `data_root`, else ${DATA_ENV}, else {REPO_DATA}; '
            'see docs/datasets.md (the BFM arrays install with '
            '`python tools/misc/download_bfm.py`).')
    return resolved
