# Synthetic domain-gap experiment (docs/model_zoo.md): the quickstart's
# 2DASL model (all five terms) and schedule (800 iterations), scored on
# held-out faces of the in-the-wild ('2d') split's own pose / expression /
# noise distribution (seed 2, with its benchmark ground truth), which only
# the 2D terms see in training. Compared with the `_base` config (L_3d only)
# at the same budget, 3 seeds each (`--cfg-options randomness.seed=S`).
_base_ = ['./2dasl_mbv1-0.5_quickstart_synthetic-120x120.py']

train_cfg = dict(val_interval={{_base_.max_iters}})
val_dataloader = dict(
    dataset=dict(
        split='2d', seed=2, landmark_noise=None, eval_ground_truth=True))
test_dataloader = val_dataloader
default_hooks = dict(
    checkpoint=dict(interval={{_base_.max_iters}}, max_keep_ckpts=1))
