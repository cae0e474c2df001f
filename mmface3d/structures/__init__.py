from .face3d_data_sample import Face3DDataSample

__all__ = ['Face3DDataSample']
