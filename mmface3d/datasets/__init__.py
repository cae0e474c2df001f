from .aflw2000_dataset import AFLW1998_EXCLUDED, AFLW2000Dataset
from .aflw21_dataset import AFLW21Dataset
from .aflw_lfpa_dataset import AFLWLFPADataset
from .base_face_dataset import BaseFaceDataset
from .in_the_wild_dataset import InTheWildDataset
from .landmark_io import format_landmark_line, load_landmark_file
from .landmark_layout import (AFLW21_NAMES, AFLW21_TO_68, aflw21_to_68,
                              bbox_of_visible, read_image_sizes,
                              roi_boxes_from_landmarks)
from .mixed_batch_sampler import MixedBatchSampler
from .mixed_face_dataset import MixedFaceDataset
from .synthetic_face_dataset import SyntheticFaceDataset
from .w300lp_dataset import W300LPDataset

__all__ = [
    'BaseFaceDataset', 'AFLW2000Dataset', 'AFLW1998_EXCLUDED', 'W300LPDataset',
    'InTheWildDataset', 'AFLWLFPADataset', 'AFLW21Dataset', 'MixedFaceDataset',
    'MixedBatchSampler', 'SyntheticFaceDataset', 'load_landmark_file',
    'format_landmark_line', 'AFLW21_NAMES', 'AFLW21_TO_68', 'aflw21_to_68',
    'roi_boxes_from_landmarks', 'bbox_of_visible', 'read_image_sizes'
]
