# The released 2DASL regressor (Tu et al., 2019). 2DASL regresses 3DDFA's
# 62 parameters (v1 BFM, whitening and flip convention), so this config
# keeps the 3DDFA morphable model and parameter head and changes the network
# and the evaluation. Network, as in the released code: ResNet-50 on a
# 120x120 BGR crop plus the 18-point facial landmark map (4 channels), layer4
# with stride 1 and a 7x7 / stride-2 average pool before the 2048 -> 62 fc.
# Evaluated as the paper does on "AFLW1998": the landmark map comes from the
# FAN points of fan_landmarks_crop120.txt, which has none for 2 images.
# Released weights (not distributed with mmface3d):
#   python tools/model_converters/twodasl_to_mmface3d.py \
#       2DASL_checkpoint_epoch_allParams_stage2.pth.tar \
#       work_dirs/2dasl_r50_released.pth
#   python tools/test.py configs/2dasl/2dasl_r50_released_120x120.py \
#       work_dirs/2dasl_r50_released.pth
_base_ = ['../3ddfa/3ddfa_mbv1_120x120.py']

model = dict(
    data_preprocessor=dict(num_channels=4),
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        in_channels=4,
        strides=(1, 2, 2, 1),
        pool_kernel=7,
        pool_stride=2),
    head=dict(in_channels=2048))

test_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='FaceCrop', crop_size=120, box_source='roi_box'),
    dict(type='LandmarkMap'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
test_dataloader = dict(
    dataset=dict(
        input_landmarks='aflw2000_3d/annotations/fan_landmarks_crop120.txt',
        missing_input='skip',
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = [dict(type='AFLW2000Metric', subset='1998', gt='ori')]
val_evaluator = test_evaluator
