from .face3d_runner import Face3DRunner

__all__ = ['Face3DRunner']
