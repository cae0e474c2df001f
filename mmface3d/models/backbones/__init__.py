from .mobilenet_v1 import MobileNetV1
from .resnet import ResNet

__all__ = ['MobileNetV1', 'ResNet']
