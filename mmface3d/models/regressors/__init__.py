from .face3d_regressor import Face3DRegressor
from .two_dasl import TwoDASL

__all__ = ['Face3DRegressor', 'TwoDASL']
