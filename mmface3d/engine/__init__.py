# Importing the engine installs mmface3d's checkpoint loader into mmengine
# (see mmface3d.utils.checkpoint); the tools import it before building a
# Runner, and the Runner imports it when it builds the hooks.
from mmface3d.utils import checkpoint  # noqa: F401
from .hooks import *  # noqa: F401,F403
from .optim_wrappers import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
