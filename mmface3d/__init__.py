"""mmface3d: an OpenMMLab toolbox for single-image 3D face reconstruction.

Importing the package is cheap: it checks the installed mmengine / mmcv
versions from their metadata and imports nothing heavy; the subpackages
(``mmface3d.datasets``, ``mmface3d.models``, ...) load torch and mmengine.
"""
from importlib import metadata

from .version import __version__

REQUIREMENTS = {
    'mmengine': (('mmengine', ), '0.10.0', '1.0.0'),
    'mmcv': (('mmcv', 'mmcv-lite'), '2.0.0', '2.3.0'),
}


def _version_tuple(version: str) -> tuple:
    """``'2.0.0rc4'`` -> ``(2, 0, 0)``: the leading digits of the first
    three parts (a pre-release counts as its release)."""
    parts = []
    for part in version.split('+')[0].split('.')[:3]:
        digits = ''
        for char in part:
            if not char.isdigit():
                break
            digits += char
        parts.append(int(digits or 0))
    return tuple(parts)


def _check_requirements() -> None:
    for name, (dists, low, high) in REQUIREMENTS.items():
        found = None
        for dist in dists:
            try:
                found = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
        if found is None or not _version_tuple(low) <= _version_tuple(
                found) < _version_tuple(high):
            raise ImportError(
                f'mmface3d {__version__} needs {name}>={low},<{high}, but '
                f'{"none" if found is None else name + "==" + found} is '
                'installed. Run `pip install -r requirements/runtime.txt` in '
                'the mmface3d checkout.')


_check_requirements()

__all__ = ['__version__']
