# Synthetic domain-gap experiment, base: the same data, budget and
# validation as the 2DASL config, L_3d alone (no 2D terms, no cycle, no
# critic).
_base_ = ['./2dasl_mbv1-0.5_synthetic-domain-gap-120x120.py']

model = dict(
    critic=None, loss_2d=None, loss_3d_con=None, loss_cycle=None,
    loss_adv=None)
# one optimiser: the regressor's schedule alone
param_scheduler = dict(
    _delete_=True, regressor={{_base_.param_scheduler.regressor}})
