from .face3d_data_preprocessor import Face3DDataPreprocessor

__all__ = ['Face3DDataPreprocessor']
