"""Readers of the BFM arrays in the 3DDFA and 3DDFA_V2 layouts and of the
whitening statistics (REFERENCE.md section 1).

The 3DDFA_V2 model and the whitening files are pickles. A plain
``pickle.load`` runs whatever code a file names, so they are read with
:class:`ArrayUnpickler`, which rebuilds numpy arrays and plain containers and
refuses every other global, naming the file and the global.
"""
import io
import pickle
from pathlib import Path
from typing import Any, Dict

import numpy as np
import scipy.io as sio

# The globals numpy needs to rebuild arrays, dtypes and scalars (numpy 1.x
# wrote ``numpy.core``, numpy 2 writes ``numpy._core``).
ALLOWED_GLOBALS = frozenset(
    [(module, name)
     for module in ('numpy.core.multiarray', 'numpy._core.multiarray')
     for name in ('_reconstruct', 'scalar')] + [('numpy', 'ndarray'),
                                                ('numpy', 'dtype')])

# Files of the 3DDFA "train.configs" layout, all in one directory.
TDDFA_FILES = {
    'u_shp': 'u_shp.npy',
    'u_exp': 'u_exp.npy',
    'w_shp': 'w_shp_sim.npy',
    'w_exp': 'w_exp_sim.npy',
    'keypoints': 'keypoints_sim.npy',
    'tri': 'tri.mat',
}
TDDFA_V2_KEYS = ('u', 'w_shp', 'w_exp', 'keypoints', 'tri')


class _RefusedGlobal(pickle.UnpicklingError):
    """A global refused by :class:`ArrayUnpickler` (told apart from the
    errors of a truncated or foreign file)."""


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that admits numpy arrays and builtin containers only.

    Args:
        file: Binary file object.
        path (Path): The file's name, for error messages.
    """

    def __init__(self, file, path: Path) -> None:
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise _RefusedGlobal(
                f'{self.path}: refused to unpickle the global '
                f'`{module}.{name}`; mmface3d reads BFM and whitening pickles '
                'that hold only numpy arrays and plain containers. Replace '
                'the file with the released one (tools/misc/download_bfm.py).')
        return super().find_class(module, name)


def load_array_pickle(path: Path) -> Dict[str, Any]:
    """A pickled dict of numpy arrays, read with :class:`ArrayUnpickler`.

    Raises:
        pickle.UnpicklingError: The file names a global other than numpy's
            array rebuilders.
        ValueError: It is not a pickle, or not a dict.
    """
    data = Path(path).read_bytes()
    try:
        obj = ArrayUnpickler(io.BytesIO(data), path).load()
    except _RefusedGlobal:
        raise
    except Exception as err:  # truncated or foreign files raise many types
        raise ValueError(f'{path}: not a readable pickle ({type(err).__name__}'
                         f': {err})') from err
    if not isinstance(obj, dict):
        raise ValueError(f'{path}: expected a pickled dict, got '
                         f'{type(obj).__name__}')
    return obj


def load_tddfa_arrays(directory: Path) -> Dict[str, np.ndarray]:
    """Arrays of the 3DDFA layout in ``directory``; ``tri`` comes back
    0-based and ``u`` is the mean shape plus the mean expression."""
    arrays = {}
    for key, name in TDDFA_FILES.items():
        path = Path(directory) / name
        if not path.is_file():
            raise FileNotFoundError(
                f'{path} does not exist (the 3DDFA layout needs '
                f'{", ".join(TDDFA_FILES.values())} in {directory}; '
                'install them with `python tools/misc/download_bfm.py`)')
        if key == 'tri':
            mat = sio.loadmat(str(path))
            if 'tri' not in mat:
                raise ValueError(f'{path}: field `tri` is missing (expected '
                                 '(3, M) 1-based triangles)')
            arrays[key] = np.asarray(mat['tri'], dtype=np.int64) - 1
        else:
            arrays[key] = np.load(path, allow_pickle=False)
    arrays['u'] = arrays.pop('u_shp') + arrays.pop('u_exp')
    return arrays


def load_tddfa_v2_arrays(path: Path) -> Dict[str, np.ndarray]:
    """Arrays of the 3DDFA_V2 ``bfm_noneck_v3.pkl`` layout (0-based tri)."""
    data = load_array_pickle(path)
    missing = set(TDDFA_V2_KEYS) - set(data)
    if missing:
        raise ValueError(f'{path}: keys {sorted(missing)} are missing '
                         f'(expected {", ".join(TDDFA_V2_KEYS)})')
    return {k: np.asarray(data[k]) for k in TDDFA_V2_KEYS}


BFM_LOADERS = {'3ddfa': load_tddfa_arrays, '3ddfa_v2': load_tddfa_v2_arrays}


def load_param_stats(path: Path) -> Dict[str, np.ndarray]:
    """Whitening statistics from either release's pickle layout.

    Returns:
        dict: ``mean`` and ``std``, (62,) float32 each.
    """
    data = load_array_pickle(path)
    for mean_key, std_key in (('param_mean', 'param_std'), ('mean', 'std')):
        if mean_key in data and std_key in data:
            mean = np.asarray(data[mean_key], dtype=np.float32).reshape(-1)
            std = np.asarray(data[std_key], dtype=np.float32).reshape(-1)
            break
    else:
        raise ValueError(f"{path}: expected keys 'param_mean'/'param_std' "
                         f"(3DDFA) or 'mean'/'std' (3DDFA_V2), got "
                         f'{sorted(data)}')
    for name, arr in (('mean', mean), ('std', std)):
        if arr.shape != (62, ):
            raise ValueError(f'{path}: {name} has shape {arr.shape}, '
                             'expected (62,) (12 pose + 40 shape + 10 exp)')
    if not (std > 0).all():
        raise ValueError(f'{path}: std must be positive')
    return {'mean': mean, 'std': std}
