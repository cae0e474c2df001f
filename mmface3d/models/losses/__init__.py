from .param_mse_loss import ParamMSELoss

__all__ = ['ParamMSELoss']
