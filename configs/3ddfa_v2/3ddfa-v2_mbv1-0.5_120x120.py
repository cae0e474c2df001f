# 3DDFA_V2 (Guo et al., ECCV 2020): MobileNetV1 width 0.5 regressing the 62
# whitened parameters of the no-neck BFM from a 120x120 BGR crop, evaluated
# on AFLW2000-3D. Released weights:
#   python tools/model_converters/tddfa_v2_to_mmface3d.py \
#       $MMFACE3D_DATA/weights/3ddfa_v2_mb05_120x120.pth \
#       work_dirs/3ddfa_v2_mb05.pth
#   python tools/test.py configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py \
#       work_dirs/3ddfa_v2_mb05.pth
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/aflw2000_3d.py'
]

morphable_model = dict(
    type='MorphableModel',
    model_path='bfm/bfm_noneck_v3.pkl',
    layout='3ddfa_v2',
    param_stats='bfm/param_mean_std_62d_120x120.pkl',
    convention='v2')

model = dict(
    type='Face3DRegressor',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=3),
    backbone=dict(type='MobileNetV1', widen_factor=0.5, in_channels=3),
    head=dict(
        type='ParamRegressionHead',
        in_channels=512,
        num_params=62,
        morphable_model=morphable_model,
        loss=dict(type='ParamMSELoss', loss_weight=1.0)))
