from .aflw21_metric import AFLW21Metric
from .aflw2000_metric import AFLW2000Metric
from .aflw_lfpa_metric import AFLWLFPAMetric
from .base_aflw2000_metric import BaseAFLW2000MeshMetric, BaseAFLW2000Metric
from .dense_alignment_metric import DenseAlignmentMetric
from .dump_predictions import DumpPredictions
from .params_landmark_metric import ParamsLandmarkMetric
from .reconstruction3d_metric import Reconstruction3DMetric
from .visible_landmark_metric import VisibleLandmarkMetric

__all__ = [
    'AFLW2000Metric', 'AFLW21Metric', 'AFLWLFPAMetric', 'BaseAFLW2000Metric',
    'BaseAFLW2000MeshMetric', 'VisibleLandmarkMetric',
    'DenseAlignmentMetric', 'DumpPredictions', 'ParamsLandmarkMetric',
    'Reconstruction3DMetric'
]
