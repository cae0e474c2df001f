from .face3d_local_visualizer import Face3DLocalVisualizer
from .renderer import (rasterize, render, shade_vertices, vertex_normals)

__all__ = [
    'Face3DLocalVisualizer', 'rasterize', 'render', 'shade_vertices',
    'vertex_normals'
]
