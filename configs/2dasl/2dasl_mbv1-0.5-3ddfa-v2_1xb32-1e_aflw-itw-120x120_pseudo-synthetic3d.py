# In-the-wild experiment, 3D stream (c): the starting model's pseudo-labels
# on the AFLW photos and the rendered faces with exact params together (the
# 3D half of each batch drawn from both, 22,000 samples); everything else as
# in the main config. The self-critic's real pairs come from both sources.
_base_ = ['./2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120_synthetic3d.py']

train_dataloader = dict(
    dataset=dict(datasets=[
        {{_base_.pseudo_3d}}, {{_base_.synthetic_3d}}, {{_base_.itw_2d}}
    ]))
