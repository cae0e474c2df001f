# The 3DDFA_V2 model on all three AFLW2000-3D protocols: sparse 68 points,
# dense alignment and 3D reconstruction (REFERENCE.md section 6). The mesh
# metrics need each image's ground-truth fit (`with_params=True`, about a
# second for the 2000 .mat files) and rebuild both meshes with the model
# that predicted (its no-neck BFM, from the predictions' metainfo).
#   python tools/test.py \
#       configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120_dense-recon.py \
#       work_dirs/3ddfa_v2_mb05.pth
_base_ = ['./3ddfa-v2_mbv1-0.5_120x120.py']

test_dataloader = dict(dataset=dict(with_params=True, convention='v2'))
val_dataloader = test_dataloader
test_evaluator = [
    dict(type='AFLW2000Metric', subset='2000', gt='ori'),
    dict(type='DenseAlignmentMetric', subset='2000'),
    dict(type='Reconstruction3DMetric', subset='2000', step=50),
]
val_evaluator = test_evaluator
