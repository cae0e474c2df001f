"""The image sets of the AFLW2000-3D benchmark (REFERENCE.md section 6),
shared by the dataset that loads them and the metrics that score them."""
import numpy as np

AFLW2000_NUM_IMAGES = 2000
# 0-based rows of AFLW2000-3D.list whose line in fan_landmarks_crop120.txt
# holds only the index (FAN found no face): image02139.jpg, image03862.jpg.
# The 2DASL paper's "AFLW1998" leaves them out.
AFLW1998_EXCLUDED = (1081, 1798)


def aflw2000_subset_ids(subset) -> np.ndarray:
    """The image ids of a protocol: ``'2000'`` (all) or ``'1998'`` (without
    :data:`AFLW1998_EXCLUDED`).

    Returns:
        np.ndarray: (2000,) or (1998,) sorted int64 ids.
    """
    ids = np.arange(AFLW2000_NUM_IMAGES)
    if str(subset) == '2000':
        return ids
    if str(subset) == '1998':
        return np.setdiff1d(ids, AFLW1998_EXCLUDED)
    raise ValueError(f"subset must be '2000' or '1998', got {subset!r}")
