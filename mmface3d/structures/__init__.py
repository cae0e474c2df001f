from .aflw2000_protocol import (AFLW1998_EXCLUDED, AFLW2000_NUM_IMAGES,
                                aflw2000_subset_ids)
from .face3d_data_sample import Face3DDataSample

__all__ = [
    'Face3DDataSample', 'AFLW1998_EXCLUDED', 'AFLW2000_NUM_IMAGES',
    'aflw2000_subset_ids'
]
