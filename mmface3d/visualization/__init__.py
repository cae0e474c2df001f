from .face3d_local_visualizer import Face3DLocalVisualizer

__all__ = ['Face3DLocalVisualizer']
