"""Draws face reconstructions on their images."""
from typing import Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.visualization import Visualizer

from mmface3d.morphable import (MorphableModel, euler_to_rotation,
                                get_morphable_model, invert_affine,
                                pixel_origin, render, transform_points)
from mmface3d.registry import VISUALIZERS
from mmface3d.structures import Face3DDataSample

Color = Tuple[int, int, int]


def _numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


@VISUALIZERS.register_module()
class Face3DLocalVisualizer(Visualizer):
    """Overlay of predicted (and ground-truth) faces on the original image.

    Draws, each optional: the shaded mesh of ``pred_params`` (blended over
    the photo), the 68 predicted landmarks, the ground-truth landmarks
    ``gt_landmarks_img`` (its visible points), the outline of the crop (a
    rotated crop draws rotated) and the head-pose axes of ``pred_pose`` at
    the nose tip. Everything goes through the sample's ``crop_affine``.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        morphable_model (dict, optional): Config of the
            :class:`MorphableModel` that decodes ``pred_params``; None takes
            the predictions' own (metainfo ``pred_morphable_model``).
            Defaults to None.
        data_root (str, optional): Data root of the BFM files. Defaults to
            None.
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
                 data_root: Optional[str] = None,
                 mesh_alpha: float = 0.6,
                 mesh_color: Color = (200, 200, 200),
                 pred_color: Color = (0, 255, 0),
                 gt_color: Color = (0, 0, 255),
                 radius: int = 2,
                 vis_backends: Optional[Sequence[dict]] = None,
                 save_dir: Optional[str] = None) -> None:
        super().__init__(
            name=name, vis_backends=vis_backends, save_dir=save_dir)
        self.morphable_model = morphable_model
        self.data_root = data_root
        self.mesh_alpha = mesh_alpha
        self.mesh_color = mesh_color
        self.pred_color = pred_color
        self.gt_color = gt_color
        self.radius = radius

    def _model(self, data_sample: Face3DDataSample
               ) -> Optional[MorphableModel]:
        """The model of the sample's predictions, None without one."""
        cfg = self.morphable_model or data_sample.metainfo.get(
            'pred_morphable_model')
        return None if cfg is None else get_morphable_model(
            cfg, self.data_root)

    def draw_mesh(self, image: np.ndarray, model: MorphableModel,
                  params: torch.Tensor, crop_affine: np.ndarray) -> np.ndarray:
        """Blend the shaded mesh of ``params`` (P,) predicted on the crop of
        ``crop_affine`` (2, 3) over ``image`` (H, W, 3) BGR uint8; returns
        the new image."""
        params = torch.as_tensor(params).to(model.u)[None]
        affine = torch.as_tensor(crop_affine).to(model.u)[None]
        with torch.no_grad():
            image_params, _ = model.image_params(params, affine)
            vertices = model.reconstruct(image_params)
            colors = torch.tensor(self.mesh_color, dtype=torch.float32)
            out = render(
                vertices,
                model.tri,
                colors.expand(model.num_vertices, 3),
                background=torch.from_numpy(image),
                alpha=self.mesh_alpha,
                pixel_origin=pixel_origin(model.convention))
        return out.image[0].numpy()

    def draw_points(self, image: np.ndarray, points: np.ndarray,
                    color: Color, origin: float) -> None:
        """Draw (N, 2+) points on ``image`` (H, W, 3) in place, pixel
        (0, 0)'s centre at ``origin`` in the points' frame."""
        for x, y in np.round(points[:, :2] - origin).astype(int):
            cv2.circle(image, (int(x), int(y)), self.radius, color, -1,
                       cv2.LINE_AA)

    def draw_axes(self, image: np.ndarray, pose: np.ndarray,
                  origin: np.ndarray, length: float, offset: float) -> None:
        """Head-pose axes (x red, y green, z blue in BGR) at ``origin``."""
        yaw, pitch, roll = np.deg2rad(pose)
        rotation = euler_to_rotation(torch.tensor([[pitch, yaw, roll]]))[0]
        axes = rotation[:2].numpy() * length
        origin = origin[:2] - offset
        start = tuple(int(v) for v in np.round(origin))
        # Model y points up, image y down.
        for axis, color in zip(axes.T, ((0, 0, 255), (0, 255, 0),
                                        (255, 0, 0))):
            end = (int(round(origin[0] + axis[0])),
                   int(round(origin[1] - axis[1])))
            cv2.arrowedLine(image, start, end, color, 2, cv2.LINE_AA)

    @staticmethod
    def _crop_outline(crop_affine: np.ndarray, crop_size: float) -> np.ndarray:
        """(4, 2) image corners of the crop of ``crop_affine``."""
        corners = torch.tensor([[0.0, 0.0], [crop_size, 0.0],
                                [crop_size, crop_size], [0.0, crop_size]],
                               dtype=torch.float64)[None]
        inverse = invert_affine(torch.from_numpy(crop_affine)[None])
        return transform_points(corners, inverse)[0].numpy()

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
            data_sample (Face3DDataSample): With metainfo ``crop_affine``
                and ``img_shape`` (the crop) and predictions
                ``pred_params``, ``pred_landmarks`` (68, 3), ``pred_pose``
                (3,); optionally ``gt_landmarks_img`` (K, 2+) with
                ``gt_landmarks_img_visible``.
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
        affine = _numpy(data_sample.metainfo['crop_affine'])
        model = self._model(data_sample)
        # Points are in the frame of the predicting model (1-based for v1)
        origin = 0.0 if model is None else pixel_origin(model.convention)
        if draw_pred and model is not None and 'pred_params' in data_sample:
            drawn = self.draw_mesh(drawn, model, data_sample.pred_params,
                                   affine)
        crop_size = data_sample.metainfo.get('img_shape', (120, 120))[0]
        outline = self._crop_outline(affine, crop_size)
        cv2.polylines(drawn, [np.round(outline - origin).astype(np.int32)],
                      True, (255, 255, 0), 1, cv2.LINE_AA)
        if draw_gt and 'gt_landmarks_img' in data_sample:
            gt = _numpy(data_sample.gt_landmarks_img)
            if 'gt_landmarks_img_visible' in data_sample:
                gt = gt[_numpy(data_sample.gt_landmarks_img_visible) > 0]
            self.draw_points(drawn, gt, self.gt_color, origin)
        if draw_pred and 'pred_landmarks' in data_sample:
            pred = _numpy(data_sample.pred_landmarks)
            self.draw_points(drawn, pred, self.pred_color, origin)
            if 'pred_pose' in data_sample:
                side = np.linalg.norm(outline[1] - outline[0])
                self.draw_axes(drawn, _numpy(data_sample.pred_pose),
                               pred[30], 0.3 * side, origin)
        if show:
            self.show(drawn[..., ::-1], win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn, out_file)
        else:
            self.add_image(name, drawn[..., ::-1], step)
        return drawn
