# Quickstart: 2DASL on the built-in synthetic BFM faces, on a CPU in minutes.
#   python tools/train.py \
#       configs/2dasl/2dasl_mbv1-0.5_quickstart_synthetic-120x120.py
# A MobileNetV1-0.5 with the landmark-map channel learns from 3D-annotated
# synthetic faces (the 300W-LP role: exact params) and 2D-only ones (the
# in-the-wild role: another pose / expression distribution, detector-like
# noise on the 2D landmarks) through all five 2DASL terms. It needs only the
# BFM files (`<data_root>/bfm`); rendered faces are cached under the work dir
# so later epochs read them back. Validation: 68-point NME on 256 held-out
# synthetic faces whose landmark map comes from noisy points.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/twodasl_adam.py'
]

model = dict(
    type='TwoDASL',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=4),
    backbone=dict(type='MobileNetV1', widen_factor=0.5, in_channels=4),
    head=dict(
        type='ParamRegressionHead',
        in_channels=512,
        num_params=62,
        morphable_model=dict(type='MorphableModel')),
    critic=dict(
        type='MLPCritic',
        encoder=dict(type='ConvEncoder', channels=(16, 32, 64, 64, 64, 64))),
    loss_3d=dict(type='WPDCLoss', loss_weight=1.0),
    loss_2d=dict(type='Landmark2DConsistencyLoss', loss_weight=0.005),
    loss_3d_con=dict(type='Landmark3DConsistencyLoss', loss_weight=0.005),
    loss_cycle=dict(type='Landmark2DConsistencyLoss', loss_weight=0.005),
    loss_adv=dict(type='AdversarialLoss', loss_weight=0.005))

cache_dir = 'work_dirs/synthetic_cache'
train_pipeline = [
    dict(type='FaceCrop', crop_size=120),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MixedBatchSampler', ratio_3d=0.5),
    dataset=dict(
        type='MixedFaceDataset',
        datasets=[
            dict(
                type='SyntheticFaceDataset',
                split='3d',
                length=1500,
                seed=0,
                cache_dir=cache_dir,
                pipeline=train_pipeline),
            dict(
                type='SyntheticFaceDataset',
                split='2d',
                length=1500,
                seed=0,
                cache_dir=cache_dir,
                pipeline=train_pipeline),
        ]))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SyntheticFaceDataset',
        split='3d',
        length=256,
        seed=1,
        landmark_noise=2.0,
        cache_dir=cache_dir,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='VisibleLandmarkMetric', num_points=68, by_yaw=True,
    prefix='synthetic')
test_evaluator = val_evaluator

max_iters = 800
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(regressor=dict(optimizer=dict(lr=1e-3)))
param_scheduler = dict(
    regressor=[
        dict(
            type='CosineAnnealingLR',
            by_epoch=False,
            begin=0,
            end=max_iters,
            T_max=max_iters,
            eta_min=1e-5)
    ])

default_hooks = dict(
    # validation scalars at their iteration (not epoch 0) in TensorBoard
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=200,
        max_keep_ckpts=2))
log_processor = dict(by_epoch=False, window_size=20)
custom_hooks = [
    dict(type='SafeCheckpointHook'),
    dict(type='RngStateHook'),
    dict(type='ProgressBarHook'),
    dict(type='LandmarkGridHook', interval=200),
]
randomness = dict(seed=0)
