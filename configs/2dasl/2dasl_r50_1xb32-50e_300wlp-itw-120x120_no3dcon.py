# Ablation: all terms but the 3D landmark consistency L_3d-con (the released
# code has none).
_base_ = ['./2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']

model = dict(loss_3d_con=None)
