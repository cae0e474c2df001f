# In-the-wild experiment, + self-critic: L_3d, L_2d-con and L_sc (real
# pairs: photo + starting model's params; fake: photo + the student's); no
# cycle pass.
_base_ = ['./2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120.py']

model = dict(loss_3d_con=None, loss_cycle=None)
