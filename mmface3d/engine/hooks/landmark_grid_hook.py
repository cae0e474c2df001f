"""A grid of predicted landmarks on training crops, for TensorBoard."""
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmface3d.morphable import pixel_origin, transform_points
from mmface3d.registry import HOOKS


@HOOKS.register_module()
class LandmarkGridHook(Hook):
    """Every ``interval`` training iterations, draw the model's 68 landmarks
    (green) and the input 2D landmarks (red, the points of the landmark map
    and of ``L_2d-con``) on up to ``max_images`` crops of the batch, tile
    them and send the grid to the visualizer's backends
    (``train_landmarks``: TensorBoard's Images tab with
    ``TensorboardVisBackend``, ``vis_image/train_landmarks_<iter>.png`` with
    ``LocalVisBackend``, which cannot save a name with a ``/``).

    The prediction is the model's ``test_step`` on the batch (eval mode, no
    gradient), mapped into each crop with its ``crop_affine``.

    Args:
        interval (int): Iterations between grids. Defaults to 500.
        max_images (int): Crops per grid. Defaults to 16.
        mean (float): ``NormalizeFace`` mean, to restore the crop pixels.
            Defaults to 127.5.
        std (float): ``NormalizeFace`` std. Defaults to 128.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 500,
                 max_images: int = 16,
                 mean: float = 127.5,
                 std: float = 128.0) -> None:
        if interval < 1 or max_images < 1:
            raise ValueError('interval and max_images must be >= 1, got '
                             f'{interval} and {max_images}')
        self.interval = interval
        self.max_images = max_images
        self.mean = mean
        self.std = std

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if data_batch is None or not self.every_n_train_iters(
                runner, self.interval):
            return
        batch = {
            key: value[:self.max_images]
            for key, value in data_batch.items()
        }
        model = runner.model
        model.eval()
        with torch.no_grad():
            samples = model.test_step(batch)
        model.train()
        tiles = [
            self._tile(inputs, sample)
            for inputs, sample in zip(batch['inputs'], samples)
        ]
        runner.visualizer.add_image(
            'train_landmarks', self._grid(tiles)[..., ::-1],
            step=runner.iter + 1)

    def _tile(self, inputs: torch.Tensor, sample) -> np.ndarray:
        """(H, W, 3) BGR uint8 crop with the points drawn."""
        image = inputs[:3].float().cpu().numpy().transpose(1, 2, 0)
        image = np.clip(image * self.std + self.mean, 0, 255).astype(
            np.uint8).copy()
        affine = torch.as_tensor(
            np.asarray(sample.metainfo['crop_affine']),
            dtype=torch.float64)[None]
        pred = transform_points(
            sample.pred_landmarks[None, :, :2].double().cpu(),
            affine)[0].numpy()
        points = [(pred, (0, 255, 0))]
        if 'landmarks_2d_input' in sample:
            given = sample.landmarks_2d_input.cpu().numpy()
            if 'landmarks_2d_input_visible' in sample:
                given = given[sample.landmarks_2d_input_visible.cpu().numpy()]
            points.append((given, (0, 0, 255)))
        # points put pixel (0, 0)'s centre at the convention's origin
        origin = pixel_origin(
            sample.metainfo['pred_morphable_model']['convention'])
        for coords, color in points:
            for x, y in np.round(coords - origin).astype(int):
                cv2.circle(image, (int(x), int(y)), 1, color, -1)
        return image

    @staticmethod
    def _grid(tiles: Sequence[np.ndarray]) -> np.ndarray:
        """Tiles in rows of ``ceil(sqrt(n))``."""
        cols = int(np.ceil(np.sqrt(len(tiles))))
        rows = int(np.ceil(len(tiles) / cols))
        height, width = tiles[0].shape[:2]
        grid = np.zeros((rows * height, cols * width, 3), np.uint8)
        for k, tile in enumerate(tiles):
            r, c = divmod(k, cols)
            grid[r * height:(r + 1) * height, c * width:(c + 1) * width] = tile
        return grid
