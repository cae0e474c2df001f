# 2DASL (Tu et al., 2019), stage 1 as the paper describes it
# (REFERENCE.md sections 4-5): ResNet-50 on the 120x120 BGR crop plus the
# 18-point facial landmark map (4 channels), ImageNet initialisation except
# the 4-channel conv1 (its 3 image filters come from ImageNet, reordered to
# BGR; the map channel starts at zero) and the head, trained on 300W-LP (3D
# fits) and in-the-wild faces with 2D landmarks only, through
#   L = L_3d + 0.005 L_2d-con + 0.005 L_3d-con + 1 L_cyc + 0.005 L_sc,
# SGD lr 5e-5 with exponential decay for the regressor, Adam 1e-4 for the
# self-critic, batch 32 (16 3D + 16 2D faces).
# Data (docs/datasets.md): the 300W-LP cache of
# tools/dataset_converters/prepare_300wlp.py, and a 68-point landmark list of
# in-the-wild photos (tools/dataset_converters/detect_landmarks.py; the paper
# used FAN on AFLW and UMDFaces). Stage 2 fine-tunes with VDC:
# 2dasl_r50_1xb32-10e_300wlp-120x120_vdc.py. AFLW2000-3D is the test set (the
# map from the released FAN points, 1998 images).
_base_ = ['../_base_/default_runtime.py']

data_root = None  # None: $MMFACE3D_DATA, else <repo>/data
imagenet_resnet50 = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'

model = dict(
    type='TwoDASL',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=4),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=4,
        init_cfg=dict(type='Pretrained', checkpoint=imagenet_resnet50)),
    head=dict(
        type='ParamRegressionHead',
        in_channels=2048,
        num_params=62,
        morphable_model=dict(type='MorphableModel')),
    critic=dict(type='MLPCritic', encoder=dict(type='ConvEncoder')),
    loss_3d=dict(type='WPDCLoss', loss_weight=1.0),
    loss_2d=dict(type='Landmark2DConsistencyLoss', loss_weight=0.005),
    loss_3d_con=dict(type='Landmark3DConsistencyLoss', loss_weight=0.005),
    loss_cycle=dict(type='Landmark2DConsistencyLoss', loss_weight=1.0),
    loss_adv=dict(type='AdversarialLoss', loss_weight=0.005))

train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(
        type='FaceCrop',
        crop_size=120,
        scale_jitter=0.1,
        shift_jitter=0.05,
        rotate_jitter=10.0),
    dict(type='ColorJitter'),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
test_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='FaceCrop', crop_size=120, box_source='roi_box'),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]

train_300wlp = dict(
    type='W300LPDataset',
    data_root=data_root,
    landmarks='pts_3d',
    input_landmarks='pts_2d',
    pipeline=train_pipeline)
train_in_the_wild = dict(
    type='InTheWildDataset',
    data_root=data_root,
    ann_file='in_the_wild/landmarks_68.txt',
    data_prefix=dict(img_path='in_the_wild/images'),
    pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MixedBatchSampler', ratio_3d=0.5, epoch_by='3d'),
    dataset=dict(
        type='MixedFaceDataset', datasets=[train_300wlp, train_in_the_wild]))

test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='AFLW2000Dataset',
        data_root=data_root,
        input_landmarks='aflw2000_3d/annotations/fan_landmarks_crop120.txt',
        missing_input='skip',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = [dict(type='AFLW2000Metric', subset='1998', gt='ori')]
test_cfg = dict(type='TestLoop')
# No validation set: AFLW2000-3D is the test set, never used to choose.
val_dataloader = None
val_evaluator = None
val_cfg = None

max_epochs = 50
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    constructor='TwoDASLOptimWrapperConstructor',
    regressor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=5e-5, momentum=0.9)),
    critic=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
# The paper decays the regressor's lr exponentially without giving the
# rate: 0.95 per epoch (x0.08 over 50 epochs); the critic's lr is fixed.
param_scheduler = dict(
    regressor=[dict(type='ExponentialLR', gamma=0.95, by_epoch=True)],
    critic=[])
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    visualization=dict(type='Face3DVisualizationHook', enable=False))
custom_hooks = [
    dict(type='SafeCheckpointHook'),
    dict(type='RngStateHook'),
    dict(type='ProgressBarHook'),
    dict(type='LandmarkGridHook', interval=1000),
]
# Several processes (tools/dist_train.sh): TwoDASL steps its two optimisers
# itself, which mmengine's DDP wrappers cannot run; this one averages each
# optimiser's gradients over the processes (mmface3d/models/wrappers).
model_wrapper_cfg = dict(type='mmface3d.GradAverageDataParallel')
randomness = dict(seed=0)
