# The released 2DASL regressor (Tu et al., 2019): ResNet-50 on a 120x120
# BGR crop plus the 18-point facial landmark map (4 channels), layer4 with
# stride 1 and a 7x7 / stride-2 average pool before the 2048 -> 62 fc, as in
# the released code; parameters in the 3DDFA v1 convention and whitening.
# Released weights: python tools/model_converters/twodasl_to_mmface3d.py \
#     2DASL_checkpoint_epoch_allParams_stage2.pth.tar \
#     work_dirs/converted/2dasl_r50_released_120x120.pth
# then set `load_from` to the converted file.
_base_ = ['../_base_/default_runtime.py']

model = dict(
    type='Face3DRegressor',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=4),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=4,
        strides=(1, 2, 2, 1),
        pool_kernel=7,
        pool_stride=2),
    head=dict(
        type='ParamRegressionHead',
        in_channels=2048,
        num_params=62,
        morphable_model=dict(
            type='MorphableModel',
            model_path='bfm',
            layout='3ddfa',
            param_stats='bfm/param_whitening.pkl',
            convention='v1'),
        loss=dict(type='ParamMSELoss', loss_weight=1.0)))
