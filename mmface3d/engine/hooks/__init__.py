from .face3d_visualization_hook import Face3DVisualizationHook

__all__ = ['Face3DVisualizationHook']
