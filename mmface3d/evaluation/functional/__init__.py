from .aflw2000 import aflw2000_landmark_nme, select_aflw2000_subset
from .icp import apply_transform, rigid_icp, rigid_transform
from .nme import (SUMMARY_KEYS, YAW_BUCKETS, bbox_size, format_nme_table,
                  point_nme, summarize_by_yaw, yaw_bucket_index, zero_min_z)
from .predictions import load_predictions, save_predictions, stack_predictions
from .sample_fields import (describe_excluded, describe_sample,
                            excluded_result, format_shape, sample_array,
                            sample_field, split_excluded)

__all__ = [
    'aflw2000_landmark_nme', 'select_aflw2000_subset', 'apply_transform',
    'rigid_icp', 'rigid_transform', 'SUMMARY_KEYS', 'YAW_BUCKETS',
    'bbox_size', 'format_nme_table', 'point_nme', 'summarize_by_yaw',
    'yaw_bucket_index', 'zero_min_z', 'load_predictions', 'save_predictions',
    'stack_predictions', 'describe_sample', 'format_shape', 'sample_array',
    'sample_field', 'excluded_result', 'split_excluded', 'describe_excluded'
]
