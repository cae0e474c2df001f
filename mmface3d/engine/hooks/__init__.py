from .face3d_visualization_hook import Face3DVisualizationHook
from .progress_bar_hook import ProgressBarHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['Face3DVisualizationHook', 'ProgressBarHook', 'SafeCheckpointHook']
