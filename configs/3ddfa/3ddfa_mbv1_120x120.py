# 3DDFA (Zhu et al., CVPR 2016 / TPAMI 2017), PyTorch re-implementation:
# MobileNetV1 width 1.0 regressing the 62 whitened parameters of the
# 53215-vertex BFM from a 120x120 BGR crop.
# Released weights (not distributed with mmface3d):
#   python tools/model_converters/tddfa_to_mmface3d.py \
#       phase1_wpdc_vdc.pth.tar work_dirs/3ddfa_mbv1.pth
#   python tools/test.py configs/3ddfa/3ddfa_mbv1_120x120.py \
#       work_dirs/3ddfa_mbv1.pth
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/aflw2000_3d.py'
]

morphable_model = dict(
    type='MorphableModel',
    model_path='bfm',
    layout='3ddfa',
    param_stats='bfm/param_whitening.pkl',
    convention='v1')

model = dict(
    type='Face3DRegressor',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=3),
    backbone=dict(type='MobileNetV1', widen_factor=1.0, in_channels=3),
    head=dict(
        type='ParamRegressionHead',
        in_channels=1024,
        num_params=62,
        morphable_model=morphable_model,
        loss=dict(type='ParamMSELoss', loss_weight=1.0)))
