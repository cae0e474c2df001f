# Control of the in-the-wild experiment: the same data, schedule and start,
# the 3D stream alone (20 x the whitened-param MSE to the starting model's
# pseudo-labels); no 2D terms, no cycle, no critic.
_base_ = ['./2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120.py']

model = dict(
    critic=None, loss_2d=None, loss_3d_con=None, loss_cycle=None,
    loss_adv=None)
# one optimiser: the regressor's schedule alone
param_scheduler = dict(
    _delete_=True, regressor={{_base_.param_scheduler.regressor}})
