from .adversarial_loss import AdversarialLoss
from .landmark2d_consistency_loss import Landmark2DConsistencyLoss
from .landmark3d_consistency_loss import Landmark3DConsistencyLoss
from .param_mse_loss import ParamMSELoss
from .vdc_loss import VDCLoss
from .wpdc_loss import WPDCLoss

__all__ = [
    'AdversarialLoss', 'Landmark2DConsistencyLoss',
    'Landmark3DConsistencyLoss', 'ParamMSELoss', 'VDCLoss', 'WPDCLoss'
]
