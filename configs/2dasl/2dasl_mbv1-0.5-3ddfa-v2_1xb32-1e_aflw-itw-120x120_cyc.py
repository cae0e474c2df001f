# In-the-wild experiment, + cycle: L_3d, L_2d-con and the cycle pass (L_cyc,
# L_3d-con); no critic.
_base_ = ['./2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120_2dcon.py']

model = dict(
    loss_3d_con=dict(
        _delete_=True, type='Landmark3DConsistencyLoss', loss_weight=0.005),
    loss_cycle=dict(
        _delete_=True, type='Landmark2DConsistencyLoss', loss_weight=0.005))
