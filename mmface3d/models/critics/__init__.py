from .conv_encoder import ConvEncoder
from .mlp_critic import MLPCritic

__all__ = ['ConvEncoder', 'MLPCritic']
