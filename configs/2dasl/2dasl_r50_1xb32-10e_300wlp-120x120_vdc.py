# 2DASL stage 2 (REFERENCE.md section 5): fine-tune the stage-1 model with
# the vertex distance cost (VDC) on 300W-LP alone; no 2D terms, no critic.
#   python tools/train.py \
#       configs/2dasl/2dasl_r50_1xb32-10e_300wlp-120x120_vdc.py
# starts from the last stage-1 checkpoint (load_from below).
_base_ = ['./2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']

model = dict(
    backbone=dict(init_cfg=None),
    critic=None,
    loss_3d=dict(_delete_=True, type='VDCLoss', loss_weight=1.0),
    loss_2d=None,
    loss_3d_con=None,
    loss_cycle=None,
    loss_adv=None)

train_dataloader = dict(
    _delete_=True,
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset={{_base_.train_300wlp}})

max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    _delete_=True,
    constructor='TwoDASLOptimWrapperConstructor',
    regressor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=1e-5, momentum=0.9)))
param_scheduler = dict(
    _delete_=True,
    regressor=[dict(type='ExponentialLR', gamma=0.9, by_epoch=True)])
load_from = 'work_dirs/2dasl_r50_1xb32-50e_300wlp-itw-120x120/epoch_50.pth'
