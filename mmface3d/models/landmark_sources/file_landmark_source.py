"""Landmarks read from a landmark list file."""
import os.path as osp
from typing import Optional

import numpy as np
import torch

from mmface3d.registry import MODELS
from ..detectors.box_ops import box_iou
from .base_landmark_source import BaseLandmarkSource


@MODELS.register_module()
class FileLandmarkSource(BaseLandmarkSource):
    """68 image-pixel landmarks per image from a landmark list
    (:func:`mmface3d.datasets.load_landmark_file` format: ``name,x1,y1,...,
    x68,y68``, e.g. the output of
    ``tools/dataset_converters/detect_landmarks.py``).

    A list holds one face per image. An image is found by its path as given,
    by its path relative to ``img_prefix`` or by its file name. Its face is
    given to the detector box that overlaps the landmarks' bounding box
    most (IoU at least ``min_iou``); other boxes, and images the list does
    not hold (or holds without points), get NaN rows, which
    :func:`~mmface3d.apis.inference_model` replaces by the model's own map
    (recorded as such in the output).

    Args:
        path (str): The landmark list.
        img_prefix (str, optional): Folder the list's names are relative
            to. Defaults to None.
        min_iou (float): Minimum IoU between a detector box and the tight
            box of the landmarks. Defaults to 0.1.
    """

    def __init__(self,
                 path: str,
                 img_prefix: Optional[str] = None,
                 min_iou: float = 0.1) -> None:
        # imported here: mmface3d.datasets imports the models' registry
        from mmface3d.datasets.landmark_io import load_landmark_file
        data = load_landmark_file(path, num_points=68)
        self.path = path
        self.img_prefix = img_prefix
        self.min_iou = min_iou
        self.points = {}
        for name, points, visible in zip(data['names'], data['points'],
                                         data['visible']):
            if visible.all():
                self.points[name] = points
        self.by_basename = {}
        for name in self.points:
            self.by_basename.setdefault(osp.basename(name), []).append(name)

    @property
    def name(self) -> str:
        return f'file:{self.path}'

    def lookup(self, img_path: Optional[str]) -> Optional[np.ndarray]:
        """(68, 2) landmarks of an image, None when the list has none."""
        if img_path is None:
            return None
        keys = [img_path]
        if self.img_prefix is not None:
            keys.append(osp.relpath(img_path, self.img_prefix))
        for key in keys:
            if key in self.points:
                return self.points[key]
        names = self.by_basename.get(osp.basename(img_path), [])
        return self.points[names[0]] if len(names) == 1 else None

    def landmarks(self, img: np.ndarray, bboxes: np.ndarray,
                  img_path: Optional[str]) -> np.ndarray:
        out = np.full((len(bboxes), 68, 2), np.nan, dtype=np.float32)
        points = self.lookup(img_path)
        if points is None or not len(bboxes):
            return out
        tight = np.concatenate([points.min(0), points.max(0)])[None]
        iou = box_iou(torch.from_numpy(bboxes),
                      torch.from_numpy(tight.astype(np.float64)))[:, 0]
        best = int(iou.argmax())
        if iou[best] >= self.min_iou:
            out[best] = points
        return out

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(path={self.path!r}, '
                f'img_prefix={self.img_prefix!r}, min_iou={self.min_iou})')
