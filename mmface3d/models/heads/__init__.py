from .param_regression_head import ParamRegressionHead

__all__ = ['ParamRegressionHead']
