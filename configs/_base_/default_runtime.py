default_scope = 'mmface3d'
# mmengine's Runner with the environment / config dump in the log file only
runner_type = 'Face3DRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='Face3DVisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# Scalars (every loss term, the learning rates) and images also go to
# TensorBoard: `tensorboard --logdir work_dirs/<config>`.
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend')
]
visualizer = dict(
    type='Face3DLocalVisualizer', vis_backends=vis_backends,
    name='visualizer')

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'

# A converted release or an earlier run to start from, e.g.
# `--cfg-options load_from=work_dirs/converted/3ddfa_v2_mb05_120x120.pth`.
load_from = None
resume = False

# Checkpoints that load with torch.load(weights_only=True): no file is ever
# unpickled in full implicitly (docs/trust.md).
custom_hooks = [
    dict(type='SafeCheckpointHook'),
    dict(type='RngStateHook'),
    dict(type='ProgressBarHook'),
]
