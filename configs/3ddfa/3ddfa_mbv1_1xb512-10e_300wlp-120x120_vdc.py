# 3DDFA (v1) stage 2: fine-tune the WPDC model with the vertex distance cost
# (VDC) at lr 1e-5 (REFERENCE.md section 5).
_base_ = ['./3ddfa_mbv1_1xb512-50e_300wlp-120x120_wpdc.py']

model = dict(loss_3d=dict(_delete_=True, type='VDCLoss', loss_weight=1.0))
max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(regressor=dict(optimizer=dict(lr=1e-5)))
param_scheduler = dict(_delete_=True, regressor=[])
load_from = 'work_dirs/3ddfa_mbv1_1xb512-50e_300wlp-120x120_wpdc/epoch_50.pth'
