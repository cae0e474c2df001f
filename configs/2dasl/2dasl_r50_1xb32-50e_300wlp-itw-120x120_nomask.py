# Ablation: all terms, without the 4 : 2 : 1 weight mask of the 18 map
# points in L_2d-con and L_cyc (every point weighs 1).
_base_ = ['./2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']

model = dict(
    loss_2d=dict(use_weight_mask=False),
    loss_cycle=dict(use_weight_mask=False))
