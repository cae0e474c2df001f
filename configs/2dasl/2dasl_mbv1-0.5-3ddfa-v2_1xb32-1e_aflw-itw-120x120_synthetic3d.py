# In-the-wild experiment, 3D stream (b): rendered BFM faces with their exact
# params (SyntheticFaceDataset's '3d' split, 11,000 faces) instead of the
# starting model's pseudo-labels on the AFLW photos; the 2D stream, the five
# terms, the start and the schedule are the main config's. The self-critic's
# real pairs are (rendered face, its exact params), its fake pairs (AFLW
# photo, student params). The synthetic params are in the v1 convention and
# the 3DDFA layout; the head converts them to the model's v2 convention
# (same bases: the 68 landmarks agree to 4e-6 pixels). Their 2D terms
# compare the supervised vertices with the exact 68-point-definition
# landmarks (a rendered face has no AFLW-style points).
_base_ = ['./2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120.py']

synthetic_pipeline = [
    dict(
        type='FaceCrop',
        crop_size=120,
        scale_jitter=0.05,
        shift_jitter=0.03,
        rotate_jitter=5.0),
    dict(type='ColorJitter'),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
synthetic_3d = dict(
    type='SyntheticFaceDataset',
    split='3d',
    length=11000,
    seed=0,
    cache_dir='work_dirs/synthetic_cache',
    pipeline=synthetic_pipeline)
# one epoch = one pass over the 11,000 AFLW photos, as in the main config
train_dataloader = dict(
    batch_sampler=dict(epoch_by='2d'),
    dataset=dict(datasets=[synthetic_3d, {{_base_.itw_2d}}]))
