"""In-the-wild faces with 2D landmarks only (2DASL's 2D-annotated data)."""
from typing import List, Optional

import numpy as np

from mmface3d.morphable import aflw21_to_68, roi_boxes_from_landmarks
from mmface3d.registry import DATASETS
from .base_face_dataset import BaseFaceDataset, check_choice
from .landmark_io import load_landmark_file

LAYOUTS = (68, 21)


@DATASETS.register_module()
class InTheWildDataset(BaseFaceDataset):
    """Face images with 2D landmarks and no 3D annotation.

    ``ann_file`` is a landmark list (:mod:`.landmark_io`, docs/datasets.md):
    ``name,x1,y1,...`` in image pixels, as
    ``tools/dataset_converters/detect_landmarks.py`` writes it. Two layouts:

    - 68 points (iBUG / 300W order, e.g. FAN detections);
    - 21 points (AFLW / UMDFaces order, ``-1,-1`` = not annotated). These
      are placed in the 68-point rows the facial landmark map reads
      (:data:`~.landmark_layout.AFLW21_TO_68`): the 18 map points come out
      of 18 AFLW points (brows, eye corners and centres, nose wings and
      tip, mouth corners and centre); the ears and the chin are dropped and
      every other row is 0 and marked not visible.

    A line with a name only (no face found) is skipped and counted in
    :attr:`failed`; it and unreadable images are listed with the reason in
    :attr:`skipped`. The crop box
    is the benchmark rule on the visible points.

    Each sample holds ``img_path``, ``img_id`` (entry in ``ann_file``),
    ``roi_box`` (4,) float32, ``landmarks_2d_input`` (68, 2) float32 image
    pixels with ``landmarks_2d_input_visible`` (68,) bool, ``has_3d=False``
    and ``has_2d=True``.

    Args:
        ann_file (str): The landmark list, relative to ``data_root``.
        data_root (str, optional): Data root. Defaults to None.
        data_prefix (dict): Image folder the names are relative to.
            Defaults to ``dict(img_path='')``.
        num_points (int, optional): Expected layout, 68 or 21; None takes it
            from the file. Defaults to None.
        min_visible (int): Samples with fewer visible points are skipped
            (they give no usable crop box). Defaults to 4.
        **kwargs: :class:`BaseFaceDataset` arguments.

    Attributes:
        failed (list[str]): Names whose line holds no landmarks.
        skipped (dict[str, str]): Name -> why it was left out.
    """

    METAINFO: dict = dict(
        dataset_name='in_the_wild',
        has_3d=False,
        has_2d=True,
        num_landmarks=68)

    def __init__(self,
                 ann_file: str,
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path=''),
                 num_points: Optional[int] = None,
                 min_visible: int = 4,
                 **kwargs) -> None:
        check_choice('num_points', num_points, (None, ) + LAYOUTS)
        self.num_points = num_points
        self.min_visible = min_visible
        self.failed: List[str] = []
        super().__init__(ann_file, data_root, data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the landmark list into one dict per face."""
        parsed = load_landmark_file(self.ann_file, self.num_points)
        self.failed = list(parsed['failed'])
        for name in self.failed:
            self.skipped[name] = 'no landmarks (no face found)'
        if self.failed:
            self.warn(f'{self.ann_file}: {len(self.failed)} lines hold no '
                      f'landmarks (no face found) and are skipped: '
                      f'{", ".join(self.failed[:5])}'
                      f'{" ..." if len(self.failed) > 5 else ""}')
        names, points, visible = (parsed['names'], parsed['points'],
                                  parsed['visible'])
        if not names:
            return []
        if points.shape[1] not in LAYOUTS:
            raise ValueError(
                f'{self.ann_file}: lines hold {points.shape[1]} points, '
                f'expected one of {LAYOUTS}')
        if points.shape[1] == 21:
            points, visible = aflw21_to_68(points, visible)
        points = np.where(visible[..., None], points, 0).astype(np.float32)
        keep = visible.sum(1) >= self.min_visible
        for i in np.flatnonzero(~keep):
            self.skipped[names[i]] = (f'{int(visible[i].sum())} visible '
                                      f'points (< {self.min_visible})')
        if (~keep).any():
            self.warn(f'{self.ann_file}: {int((~keep).sum())} faces have '
                      f'fewer than {self.min_visible} visible points and are '
                      'skipped')
        rows, sizes = self.readable_rows(names, np.flatnonzero(keep))
        boxes = roi_boxes_from_landmarks(points[rows], visible[rows], sizes)
        # the annotation is the input: landmarks_2d_input for every face
        return [
            self.make_data_info(
                names,
                i,
                boxes[k],
                points,
                keep,
                landmarks_2d_input_visible=visible[i],
                has_3d=False) for k, i in enumerate(rows)
        ]
