# The training recipe of the released 2DASL code (REFERENCE.md section 5),
# as an alternative to the paper's: ResNet-50 with layer4 stride 1 and a
# 7x7 / stride-2 average pool, no L_3d-con, the 2D terms as
# MSE(w * y18, w * x18) / 18 with weights 2 / 1 / 0.5, a critic MLP
# 10 -> 512 -> 1024 -> 1024 -> 1 (LeakyReLU 0.2, dropout 0.4) on the
# expression parameters only, trained with BCE, and
#   L = 0.1 * (100 WPDC + 0.5 G_adv + 0.05 (L_2d + L_cyc)),
# SGD nesterov (momentum 0.9, weight decay 5e-4), batch 8, 50 epochs, lr
# 0.004 * 0.001^((epoch - 1) / 49) from epoch 2; critic Adam 1e-5,
# betas (0.5, 0.999).
_base_ = ['./2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']

model = dict(
    backbone=dict(strides=(1, 2, 2, 1), pool_kernel=7, pool_stride=2),
    critic=dict(
        _delete_=True,
        type='MLPCritic',
        param_slice=(52, 62),
        encoder=None,
        activation='leaky_relu',
        dropout=0.4),
    loss_3d=dict(type='WPDCLoss', loss_weight=10.0),
    loss_2d=dict(
        type='Landmark2DConsistencyLoss', mode='released',
        loss_weight=0.005),
    loss_3d_con=None,
    loss_cycle=dict(
        type='Landmark2DConsistencyLoss', mode='released',
        loss_weight=0.005),
    loss_adv=dict(type='AdversarialLoss', form='bce', loss_weight=0.05))

train_dataloader = dict(batch_size=8)
optim_wrapper = dict(
    regressor=dict(
        optimizer=dict(
            _delete_=True,
            type='SGD',
            lr=0.004,
            momentum=0.9,
            nesterov=True,
            weight_decay=5e-4)),
    critic=dict(
        optimizer=dict(
            _delete_=True, type='Adam', lr=1e-5, betas=(0.5, 0.999))))
# lr = 0.004 for epoch 1, then 0.004 * 0.001 ** ((epoch - 1) / 49)
param_scheduler = dict(
    _delete_=True,
    regressor=[
        dict(
            type='ExponentialLR',
            gamma=0.001**(1 / 49),
            by_epoch=True,
            begin=1)
    ],
    critic=[])
