# Table 2 ablation "+cyc": base plus the cycle pass (L_cyc and L_3d-con),
# no self-critic.
_base_ = ['./2dasl_r50_1xb32-50e_300wlp-itw-120x120_base.py']

model = dict(
    loss_3d_con=dict(
        _delete_=True, type='Landmark3DConsistencyLoss', loss_weight=0.005),
    loss_cycle=dict(
        _delete_=True, type='Landmark2DConsistencyLoss', loss_weight=1.0))
