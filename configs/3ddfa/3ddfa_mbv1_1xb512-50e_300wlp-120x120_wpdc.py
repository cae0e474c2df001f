# 3DDFA (v1) baseline training (REFERENCE.md section 5): MobileNetV1 on the
# 120x120 BGR crop (3 channels), 300W-LP only, the weighted parameter
# distance (WPDC). 3DDFA's training is 2DASL's L_3d alone, so the model is a
# TwoDASL without 2D terms or critic. SGD nesterov (momentum 0.9, weight
# decay 5e-4), batch 512, lr 0.02 with a 5-epoch warm-up, x0.2 at epochs 30
# and 40, 50 epochs; then 3ddfa_mbv1_1xb512-10e_300wlp-120x120_vdc.py.
_base_ = ['../2dasl/2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']

model = dict(
    data_preprocessor=dict(num_channels=3),
    backbone=dict(
        _delete_=True, type='MobileNetV1', widen_factor=1.0, in_channels=3),
    head=dict(in_channels=1024),
    critic=None,
    loss_2d=None,
    loss_3d_con=None,
    loss_cycle=None,
    loss_adv=None)

train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(
        type='FaceCrop',
        crop_size=120,
        scale_jitter=0.1,
        shift_jitter=0.05,
        rotate_jitter=10.0),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
test_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='FaceCrop', crop_size=120, box_source='roi_box'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='W300LPDataset',
        data_root={{_base_.data_root}},
        landmarks='pts_3d',
        input_landmarks=None,
        pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(input_landmarks=None, pipeline=test_pipeline))
test_evaluator = [dict(type='AFLW2000Metric', subset='2000', gt='ori')]

optim_wrapper = dict(
    _delete_=True,
    constructor='TwoDASLOptimWrapperConstructor',
    regressor=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='SGD',
            lr=0.02,
            momentum=0.9,
            nesterov=True,
            weight_decay=5e-4)))
param_scheduler = dict(
    _delete_=True,
    regressor=[
        dict(
            type='LinearLR',
            start_factor=0.01,
            by_epoch=True,
            begin=0,
            end=5,
            convert_to_iter_based=True),
        dict(
            type='MultiStepLR',
            milestones=[30, 40],
            gamma=0.2,
            by_epoch=True,
            begin=5)
    ])
