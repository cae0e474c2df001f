# Synthetic BFM faces rendered on the fly (SyntheticFaceDataset): needs only
# the BFM files under `<data_root>/bfm`. The '3d' split plays 300W-LP (exact
# 62-d params), the '2d' split the in-the-wild set (noisy 2D landmarks only).
# Images are already 120x120 crops with roi_box [0, 0, 120, 120]: FaceCrop
# keeps them as they are and maps the annotations into the crop frame.
dataset_type = 'SyntheticFaceDataset'

train_pipeline = [
    dict(type='FaceCrop', crop_size=120),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace', mean=127.5, std=128.0),
    dict(type='PackFace3DInputs'),
]
test_pipeline = train_pipeline

synthetic_3d = dict(
    type=dataset_type, split='3d', length=20000, seed=0,
    pipeline=train_pipeline)
synthetic_2d = dict(
    type=dataset_type, split='2d', length=20000, seed=0,
    pipeline=train_pipeline)

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MixedBatchSampler', ratio_3d=0.5),
    dataset=dict(type='MixedFaceDataset', datasets=[synthetic_3d,
                                                    synthetic_2d]))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        split='3d',
        length=1000,
        seed=1,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# 68-point NME against the rendered ground truth, by yaw bucket.
val_evaluator = dict(
    type='VisibleLandmarkMetric', num_points=68, by_yaw=True,
    prefix='synthetic')
test_evaluator = val_evaluator
