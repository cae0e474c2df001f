# In-the-wild experiment, + L_2d-con: the 3D stream and the 2D landmark
# consistency on AFLW's manual points; no cycle pass, no critic.
_base_ = ['./2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120_control.py']

model = dict(
    loss_2d=dict(
        _delete_=True, type='Landmark2DConsistencyLoss', loss_weight=0.005))
