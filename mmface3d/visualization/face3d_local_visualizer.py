"""Draws face reconstructions on their images."""
from typing import Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.visualization import Visualizer

from mmface3d.models.morphable import euler_to_rotation, pixel_origin
from mmface3d.registry import MODELS, VISUALIZERS
from mmface3d.structures import Face3DDataSample
from .renderer import render

Color = Tuple[int, int, int]


def _numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


@VISUALIZERS.register_module()
class Face3DLocalVisualizer(Visualizer):
    """Overlay of predicted (and ground-truth) faces on the original image.

    Draws, each optional: the shaded mesh of ``pred_params`` (blended over
    the photo), the 68 predicted landmarks, the 68 ground-truth landmarks
    (``gt_landmarks_2d`` mapped from the crop back to the image), the crop
    box and the head-pose axes of ``pred_pose`` at the nose tip.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        morphable_model (dict, optional): Config of the
            :class:`MorphableModel` that decodes ``pred_params``; the mesh is
            drawn only when given (it must use the predicting model's
            convention). Defaults to None.
        mesh_alpha (float): Opacity of the mesh overlay. Defaults to 0.6.
        mesh_color (tuple[int]): BGR albedo of the mesh. Defaults to a light
            grey.
        pred_color (tuple[int]): BGR of predicted landmarks. Defaults to
            green.
        gt_color (tuple[int]): BGR of ground-truth landmarks. Defaults to red.
        radius (int): Landmark radius in pixels. Defaults to 2.
        vis_backends (list[dict], optional): Visual backends. Defaults to
            None.
        save_dir (str, optional): Backend save dir. Defaults to None.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 morphable_model: Optional[dict] = None,
                 mesh_alpha: float = 0.6,
                 mesh_color: Color = (200, 200, 200),
                 pred_color: Color = (0, 255, 0),
                 gt_color: Color = (0, 0, 255),
                 radius: int = 2,
                 vis_backends: Optional[Sequence[dict]] = None,
                 save_dir: Optional[str] = None) -> None:
        super().__init__(
            name=name, vis_backends=vis_backends, save_dir=save_dir)
        self.morphable_model = None if morphable_model is None else \
            MODELS.build(morphable_model)
        # Where pixel (0, 0)'s centre lies in the points' frame: 1-based for
        # v1 params, as in the AFLW2000-3D annotations.
        self.pixel_origin = 0.0 if self.morphable_model is None else \
            pixel_origin(self.morphable_model.convention)
        self.mesh_alpha = mesh_alpha
        self.mesh_color = mesh_color
        self.pred_color = pred_color
        self.gt_color = gt_color
        self.radius = radius

    def draw_mesh(self, image: np.ndarray, params: torch.Tensor,
                  roi_box: np.ndarray) -> np.ndarray:
        """Blend the shaded mesh of ``params`` (P,) over ``image`` (H, W, 3)
        BGR uint8; returns the new image."""
        model = self.morphable_model
        params = torch.as_tensor(params, dtype=torch.float32)[None]
        box = torch.as_tensor(roi_box, dtype=torch.float32)[None]
        with torch.no_grad():
            vertices = model.crop_to_image(model.reconstruct(params), box)
            colors = torch.tensor(self.mesh_color, dtype=torch.float32)
            out = render(
                vertices,
                model.tri,
                colors.expand(model.num_vertices, 3),
                background=torch.from_numpy(image),
                alpha=self.mesh_alpha,
                pixel_origin=self.pixel_origin)
        return out.image[0].numpy()

    def _draw_points(self, image: np.ndarray, points: np.ndarray,
                     color: Color) -> None:
        for x, y in np.round(points[:, :2] - self.pixel_origin).astype(int):
            cv2.circle(image, (int(x), int(y)), self.radius, color, -1,
                       cv2.LINE_AA)

    def _draw_axes(self, image: np.ndarray, pose: np.ndarray,
                   origin: np.ndarray, length: float) -> None:
        """Head-pose axes (x red, y green, z blue in BGR) at ``origin``."""
        yaw, pitch, roll = np.deg2rad(pose)
        rotation = euler_to_rotation(torch.tensor([[pitch, yaw, roll]]))[0]
        axes = rotation[:2].numpy() * length
        origin = origin[:2] - self.pixel_origin
        start = tuple(int(v) for v in np.round(origin))
        # Model y points up, image y down.
        for axis, color in zip(axes.T, ((0, 0, 255), (0, 255, 0),
                                        (255, 0, 0))):
            end = (int(round(origin[0] + axis[0])),
                   int(round(origin[1] - axis[1])))
            cv2.arrowedLine(image, start, end, color, 2, cv2.LINE_AA)

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Face3DDataSample,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draw one sample on its original image.

        Args:
            name (str): Image name for the backends.
            image (np.ndarray): (H, W, 3) BGR uint8 original image.
            data_sample (Face3DDataSample): With metainfo ``roi_box`` and
                predictions ``pred_params``, ``pred_landmarks`` (68, 3),
                ``pred_pose`` (3,); optionally ``gt_landmarks_2d`` (68, 2)
                in crop pixels.
            draw_gt (bool): Draw ground-truth landmarks. Defaults to True.
            draw_pred (bool): Draw predictions. Defaults to True.
            show (bool): Show the drawing in a window. Defaults to False.
            wait_time (float): Seconds to show it. Defaults to 0.
            out_file (str, optional): Write the drawing here. Defaults to
                None.
            step (int): Global step for the backends. Defaults to 0.

        Returns:
            np.ndarray: (H, W, 3) BGR uint8 drawing.
        """
        drawn = np.ascontiguousarray(image, dtype=np.uint8).copy()
        roi_box = _numpy(data_sample.metainfo['roi_box'])
        crop_w = roi_box[2] - roi_box[0]
        if draw_pred and self.morphable_model is not None and \
                'pred_params' in data_sample:
            drawn = self.draw_mesh(drawn, data_sample.pred_params, roi_box)
        cv2.rectangle(drawn, (int(roi_box[0]), int(roi_box[1])),
                      (int(roi_box[2]), int(roi_box[3])), (255, 255, 0), 1)
        if draw_gt and 'gt_landmarks_2d' in data_sample:
            crop = self.morphable_model.crop_size if \
                self.morphable_model is not None else 120
            gt = _numpy(data_sample.gt_landmarks_2d)
            gt = gt * (roi_box[2:] - roi_box[:2]) / crop + roi_box[:2]
            self._draw_points(drawn, gt, self.gt_color)
        if draw_pred and 'pred_landmarks' in data_sample:
            pred = _numpy(data_sample.pred_landmarks)
            self._draw_points(drawn, pred, self.pred_color)
            if 'pred_pose' in data_sample:
                self._draw_axes(drawn, _numpy(data_sample.pred_pose),
                                pred[30], 0.3 * crop_w)
        if show:
            self.show(drawn[..., ::-1], win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn, out_file)
        else:
            self.add_image(name, drawn[..., ::-1], step)
        return drawn
