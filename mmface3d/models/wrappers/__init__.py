from .grad_average_data_parallel import GradAverageDataParallel

__all__ = ['GradAverageDataParallel']
