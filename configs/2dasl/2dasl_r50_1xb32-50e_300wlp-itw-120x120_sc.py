# Table 2 ablation "+sc": base plus the self-critic L_sc, no cycle pass.
_base_ = ['./2dasl_r50_1xb32-50e_300wlp-itw-120x120.py']

model = dict(loss_3d_con=None, loss_cycle=None)
