from .face3d_regressor import Face3DRegressor

__all__ = ['Face3DRegressor']
