# Table 2 ablation "base": the 4-channel regressor trained with L_3d and the
# 2D landmark consistency L_2d-con only (no cycle pass, no self-critic).
_base_ = ['./2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']

model = dict(critic=None, loss_3d_con=None, loss_cycle=None, loss_adv=None)
# one optimiser: the regressor's schedule alone
param_scheduler = dict(
    _delete_=True,
    regressor=[dict(type='ExponentialLR', gamma=0.95, by_epoch=True)])
