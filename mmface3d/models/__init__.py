from .backbones import *  # noqa: F401,F403
from .critics import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .regressors import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .landmark_sources import *  # noqa: F401,F403
