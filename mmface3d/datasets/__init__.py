from .aflw21_dataset import AFLW21Dataset
from .aflw2000_dataset import AFLW2000Dataset
from .aflw_lfpa_dataset import AFLWLFPADataset
from .base_face_dataset import BaseFaceDataset
from .image_sizes import read_image_sizes
from .in_the_wild_dataset import InTheWildDataset
from .landmark_io import format_landmark_line, load_landmark_file
from .mixed_batch_sampler import MixedBatchSampler
from .mixed_face_dataset import MixedFaceDataset
from .synthetic_face_dataset import SyntheticFaceDataset
from .w300lp_dataset import W300LPDataset

__all__ = [
    'BaseFaceDataset', 'AFLW2000Dataset', 'W300LPDataset', 'InTheWildDataset',
    'AFLWLFPADataset', 'AFLW21Dataset', 'MixedFaceDataset',
    'MixedBatchSampler', 'SyntheticFaceDataset', 'load_landmark_file',
    'format_landmark_line', 'read_image_sizes'
]
