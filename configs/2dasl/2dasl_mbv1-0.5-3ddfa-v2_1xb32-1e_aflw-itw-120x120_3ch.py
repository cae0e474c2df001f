# In-the-wild experiment, 3-channel variant: no landmark-map input (so no
# cycle pass): L_3d, L_2d-con and L_sc on the released 3-channel model. At
# test time nothing depends on a 2D detector.
_base_ = ['./2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120_sc.py']

model = dict(
    data_preprocessor=dict(num_channels=3),
    backbone=dict(in_channels=3))
load_from = 'work_dirs/3ddfa_v2_mb05.pth'
# the pipelines of the 4-channel config without the landmark map
pseudo_pipeline = [
    dict(type='LoadFaceImage'),
    dict(
        type='FaceCrop',
        crop_size=120,
        scale_jitter=0.05,
        shift_jitter=0.03,
        rotate_jitter=5.0),
    dict(type='ColorJitter'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(
        type='FaceCrop',
        crop_size=120,
        scale_jitter=0.05,
        shift_jitter=0.03,
        rotate_jitter=5.0),
    dict(
        type='RandomFlip',
        prob=0.5,
        morphable_model=dict(
            model_path='bfm/bfm_noneck_v3.pkl',
            layout='3ddfa_v2',
            convention='v2'),
        vertex_ids='bfm/indices.npy',
        pixel_origin=0.0),
    dict(type='ColorJitter'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='FaceCrop', crop_size=120, box_source='roi_box'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
aflw_itw = dict(
    type='AFLW21Dataset',
    ann_file='aflw_itw/annotations/AFLW_GT_crop.list',
    data_prefix=dict(img_path='aflw_itw/AFLW_GT_crop'),
    input_from_annotation=True,
    pixel_origin=0.0)
train_rows = list(range(1000, 12000))
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            **aflw_itw,
            pseudo_params='work_dirs/aflw_itw/pseudo_params_3ddfa_v2_mb05.npy',
            indices=train_rows,
            pipeline=pseudo_pipeline),
        dict(**aflw_itw, indices=train_rows, pipeline=train_pipeline),
    ]))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(input_landmarks=None, pipeline=val_pipeline))
