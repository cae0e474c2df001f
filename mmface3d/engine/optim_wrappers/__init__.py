from .two_dasl_optim_wrapper_constructor import TwoDASLOptimWrapperConstructor

__all__ = ['TwoDASLOptimWrapperConstructor']
