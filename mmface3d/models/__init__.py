from .morphable import *  # noqa: F401,F403
