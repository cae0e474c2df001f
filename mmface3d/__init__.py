"""mmface3d: an OpenMMLab toolbox for single-image 3D face reconstruction."""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .version import __version__

MMENGINE_MIN, MMENGINE_MAX = '0.10.0', '1.0.0'
MMCV_MIN, MMCV_MAX = '2.0.0', '2.3.0'


def _check_version(name: str, found: str, low: str, high: str) -> None:
    if not digit_version(low) <= digit_version(found) < digit_version(high):
        raise ImportError(
            f'mmface3d {__version__} needs {name}>={low},<{high}, but '
            f'{name}=={found} is installed. Run `pip install -r '
            f'requirements/runtime.txt` in the mmface3d checkout.')


_check_version('mmengine', mmengine.__version__, MMENGINE_MIN, MMENGINE_MAX)
_check_version('mmcv', mmcv.__version__, MMCV_MIN, MMCV_MAX)

__all__ = ['__version__']

# Importing utils installs mmface3d's checkpoint loader into mmengine.
from . import utils  # noqa: E402,F401
