"""AFLW-LFPA, the large-pose benchmark of Jourabloo & Liu (CVPR 2016)."""
from typing import List, Optional

import numpy as np

from mmface3d.morphable import bbox_of_visible, roi_boxes_from_landmarks
from mmface3d.registry import DATASETS
from .base_face_dataset import BaseFaceDataset
from .landmark_io import load_landmark_file

NUM_POINTS = 34


@DATASETS.register_module()
class AFLWLFPADataset(BaseFaceDataset):
    """AFLW-LFPA test set: 1299 AFLW images with 34 landmarks; the benchmark
    scores the visible ones, normalised by their bounding box.

    ``ann_file`` is a landmark list (docs/datasets.md) with 34 points per
    line in original AFLW image pixels, ``-1,-1`` for a point that is not
    visible: the image, the 34 points and their visibility are what the
    release defines for each face.

    Each sample holds ``img_path``, ``img_id`` (entry in ``ann_file``),
    ``roi_box`` (4,) float32 (benchmark rule on the visible points),
    ``gt_landmarks_2d`` (34, 2) float32 image pixels (0 where hidden),
    ``gt_landmarks_visible`` (34,) bool, the same points as the benchmark
    ground truth ``gt_landmarks_img`` / ``gt_landmarks_img_visible``
    (untouched by the pipeline), ``gt_bbox`` (4,) float32
    ``[x0, y0, x1, y1]`` of the visible points (the NME normaliser is
    ``sqrt(w * h)`` of it), ``has_3d=False``, ``has_2d`` and, with
    ``input_landmarks``, ``landmarks_2d_input`` (68, 2).

    Args:
        ann_file (str): The 34-point list. Defaults to
            ``'aflw_lfpa/annotations/aflw_lfpa_test.txt'``.
        data_root (str, optional): Data root. Defaults to None.
        data_prefix (dict): AFLW image folder the names are relative to.
            Defaults to ``dict(img_path='aflw_lfpa/images')``.
        input_landmarks (str, optional): 68-point list of detector points
            in image pixels (``detect_landmarks.py``), relative to
            ``data_root``, for the facial landmark map. Defaults to None.
        missing_input (str): ``'skip'`` or ``'keep'`` an image without input
            landmarks, see :class:`BaseFaceDataset`. Defaults to ``'skip'``.
        **kwargs: :class:`BaseFaceDataset` arguments.
    """

    METAINFO: dict = dict(
        dataset_name='aflw_lfpa',
        has_3d=False,
        has_2d=False,
        num_landmarks=NUM_POINTS)

    def __init__(self,
                 ann_file: str = 'aflw_lfpa/annotations/aflw_lfpa_test.txt',
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path='aflw_lfpa/images'),
                 input_landmarks: Optional[str] = None,
                 missing_input: str = 'skip',
                 **kwargs) -> None:
        super().__init__(ann_file, data_root, data_prefix, input_landmarks,
                         missing_input, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the 34-point list into one dict per face."""
        parsed = load_landmark_file(self.ann_file, NUM_POINTS)
        if parsed['failed']:
            raise ValueError(
                f'{self.ann_file}: lines without landmarks for '
                f'{parsed["failed"][:5]}; every benchmark face needs its '
                f'{NUM_POINTS} points')
        names, points, visible = (parsed['names'], parsed['points'],
                                  parsed['visible'])
        empty = ~visible.any(1)
        if empty.any():
            raise ValueError(
                f'{self.ann_file}, line '
                f'{parsed["line_numbers"][np.argmax(empty)]}: no visible '
                'point')
        points = np.where(visible[..., None], points, 0).astype(np.float32)
        inputs, has_input, keep = self.read_input_landmarks(names)
        rows, sizes = self.readable_rows(names, np.flatnonzero(keep))
        boxes = roi_boxes_from_landmarks(points[rows], visible[rows], sizes)
        bboxes = bbox_of_visible(points[rows], visible[rows])
        return [
            self.make_data_info(
                names,
                i,
                boxes[k],
                inputs,
                has_input,
                gt_landmarks_2d=points[i],
                gt_landmarks_visible=visible[i],
                gt_landmarks_img=points[i].copy(),
                gt_landmarks_img_visible=visible[i].copy(),
                gt_bbox=bboxes[k],
                has_3d=False) for k, i in enumerate(rows)
        ]
