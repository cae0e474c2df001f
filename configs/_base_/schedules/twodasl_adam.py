# The two optimisers of TwoDASL (TwoDASLOptimWrapperConstructor builds an
# OptimWrapperDict from this one dict): the regressor with Adam and gradient
# clipping, its lr and schedule set by each config; the self-critic with
# Adam at a fixed lr (no schedule: `critic=[]`).
optim_wrapper = dict(
    constructor='TwoDASLOptimWrapperConstructor',
    regressor=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-3),
        clip_grad=dict(max_norm=10.0)),
    critic=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
param_scheduler = dict(regressor=[], critic=[])
# Several processes (tools/dist_train.sh): TwoDASL steps its two optimisers
# itself, which mmengine's DDP wrappers cannot run; this one averages each
# optimiser's gradients over the processes (mmface3d/models/wrappers).
model_wrapper_cfg = dict(type='mmface3d.GradAverageDataParallel')
