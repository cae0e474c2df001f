# AFLW2000-3D benchmark (REFERENCE.md section 6): 2000 images, crops from the
# released roi boxes, original 68-point annotation, yaw buckets from the fits.
dataset_type = 'AFLW2000Dataset'
data_root = None  # None: $MMFACE3D_DATA, else <repo>/data

test_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='FaceCrop', crop_size=120, box_source='roi_box'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]

test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        roi_box='released',
        gt_landmarks='ori',
        num_images=2000,
        pipeline=test_pipeline,
        test_mode=True))
val_dataloader = test_dataloader

test_evaluator = [
    dict(type='AFLW2000Metric', subset='2000', gt='ori'),
]
val_evaluator = test_evaluator

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
