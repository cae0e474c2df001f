"""Writes prediction overlays during validation / testing."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmface3d.registry import HOOKS
from mmface3d.structures import Face3DDataSample


@HOOKS.register_module()
class Face3DVisualizationHook(Hook):
    """Draw predictions on the original images with the runner's visualizer
    (a :class:`Face3DLocalVisualizer`).

    The original image comes from the loop's dataset
    (``dataset.original_image(img_id, img_path)``: the file, or for
    synthetic faces the rendered image), so any dataset can be drawn.

    Args:
        enable (bool): Draw at all. ``tools/test.py --show-dir`` turns it
            on. Defaults to False.
        interval (int): Draw every ``interval``-th batch. Defaults to 1.
        out_dir (str, optional): Folder for the PNGs, relative to the
            runner's log dir unless absolute; None sends the drawings to the
            visualizer's backends instead. Defaults to None.
        draw_gt (bool): Draw ground-truth landmarks too. Defaults to True.
        show (bool): Show each drawing in a window. Defaults to False.
        wait_time (float): Seconds each shown drawing stays. Defaults to 0.
    """
    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 1,
                 out_dir: Optional[str] = None,
                 draw_gt: bool = True,
                 show: bool = False,
                 wait_time: float = 0.) -> None:
        self.enable = enable
        self.interval = interval
        self.out_dir = out_dir
        self.draw_gt = draw_gt
        self.show = show
        self.wait_time = wait_time

    def _draw(self, runner: Runner, batch_idx: int,
              outputs: Sequence[Face3DDataSample], phase: str) -> None:
        if not self.enable or batch_idx % self.interval:
            return
        out_dir = None if self.out_dir is None else osp.join(
            runner.log_dir, self.out_dir)
        loader = runner.val_loop.dataloader if phase == 'val' else \
            runner.test_loop.dataloader
        for sample in outputs:
            if 'excluded' in sample.metainfo:
                continue  # its image or box is unusable: nothing to draw on
            img_path = sample.metainfo['img_path']
            image = self._original_image(loader.dataset, sample)
            name = osp.splitext(osp.basename(img_path))[0]
            runner.visualizer.add_datasample(
                f'{phase}_{name}',
                image,
                sample,
                draw_gt=self.draw_gt,
                show=self.show,
                wait_time=self.wait_time,
                out_file=None if out_dir is None else osp.join(
                    out_dir, f'{name}.png'),
                step=runner.iter)

    @staticmethod
    def _original_image(dataset, sample: Face3DDataSample) -> np.ndarray:
        if not hasattr(dataset, 'original_image'):
            raise TypeError(
                f'{type(dataset).__name__} has no original_image(img_id, '
                'img_path); Face3DVisualizationHook draws on the images of '
                "mmface3d's face datasets")
        return dataset.original_image(sample.metainfo['img_id'],
                                      sample.metainfo['img_path'])

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[Face3DDataSample]) -> None:
        self._draw(runner, batch_idx, outputs, 'val')

    def after_test_iter(self, runner: Runner, batch_idx: int,
                        data_batch: dict,
                        outputs: Sequence[Face3DDataSample]) -> None:
        self._draw(runner, batch_idx, outputs, 'test')
