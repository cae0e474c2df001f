from .face3d_visualization_hook import Face3DVisualizationHook
from .landmark_grid_hook import LandmarkGridHook
from .progress_bar_hook import ProgressBarHook
from .rng_state_hook import RngStateHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = [
    'Face3DVisualizationHook', 'LandmarkGridHook', 'ProgressBarHook',
    'RngStateHook', 'SafeCheckpointHook'
]
