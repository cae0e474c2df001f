"""LandmarkGridHook: every ``interval`` training iterations one grid of the
batch's crops, with the predicted landmarks mapped into each crop, goes to
the visualizer; checked on a runner-like object with a stub model."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmface3d.registry import HOOKS
from mmface3d.structures import Face3DDataSample

SIZE = 40
GRAY = 127  # a zero input restored with mean 127.5, std 128
GREEN = (0, 255, 0)  # RGB: what the visualizer receives
RED = (255, 0, 0)


class StubModel:
    """``test_step`` puts the given image-frame landmarks into the batch's
    samples; records the modes it is switched to."""

    def __init__(self, landmarks):
        self.landmarks = landmarks
        self.modes = []
        self.batches = []

    def eval(self):
        self.modes.append('eval')

    def train(self):
        self.modes.append('train')

    def test_step(self, batch):
        assert self.modes[-1] == 'eval' and not torch.is_grad_enabled()
        self.batches.append(batch)
        for sample, points in zip(batch['data_samples'], self.landmarks):
            sample.pred_landmarks = points
            sample.set_metainfo(
                dict(pred_morphable_model=dict(convention='v1')))
        return batch['data_samples']


class Recorder:

    def __init__(self):
        self.images = []

    def add_image(self, name, image, step=0):
        self.images.append((name, image, step))


def make_batch(num, affines):
    """``num`` crops of zeros (gray once restored) with their affines."""
    samples = []
    for affine in affines[:num]:
        samples.append(Face3DDataSample(metainfo=dict(crop_affine=affine)))
    return dict(
        inputs=[torch.zeros(4, SIZE, SIZE) for _ in range(num)],
        data_samples=samples)


def image_landmarks(num):
    """(68, 3) image-frame landmarks per sample, all at one point except
    the ones set by the tests."""
    return [torch.full((68, 3), 30.0) for _ in range(num)]


def train(hook, runner, batch, iterations):
    for i in range(iterations):
        runner.iter = i
        hook.after_train_iter(runner, i, batch, dict(loss=torch.tensor(1.)))


def colored(tile, color):
    """(y, x) of the pixels of exactly this RGB color."""
    return {tuple(p) for p in np.argwhere((tile == color).all(-1))}


@pytest.mark.parametrize('num, max_images, grid', [
    (3, 16, (2 * SIZE, 2 * SIZE)),  # 3 tiles: 2 columns, 2 rows
    (5, 4, (2 * SIZE, 2 * SIZE)),  # 4 tiles: 2 x 2
    (3, 2, (SIZE, 2 * SIZE)),  # 2 tiles: one row
    (1, 16, (SIZE, SIZE)),
])
def test_one_grid_every_interval(num, max_images, grid):
    hook = HOOKS.build(
        dict(type='LandmarkGridHook', interval=3, max_images=max_images))
    identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    model = StubModel(image_landmarks(num))
    visualizer = Recorder()
    runner = SimpleNamespace(model=model, visualizer=visualizer, iter=0)
    train(hook, runner, make_batch(num, [identity] * num), 7)
    # iterations 3 and 6 (runner.iter 2 and 5), with their 1-based step
    assert [(name, step) for name, _, step in visualizer.images] == \
        [('train_landmarks', 3), ('train_landmarks', 6)]
    for _, image, _ in visualizer.images:
        assert image.shape == grid + (3, ) and image.dtype == np.uint8
    # the model predicted at most max_images crops, in eval mode, and is
    # back in training mode
    assert [len(b['inputs']) for b in model.batches] == \
        [min(num, max_images)] * 2
    assert model.modes == ['eval', 'train'] * 2


def test_points_drawn_where_the_crop_shows_them():
    """Hand check on the second tile: crop = 0.5 * image + (10, 20), v1
    points (pixel (0, 0) at 1, 1). Image point (40, 30) -> crop (30, 35)
    -> pixel column 29, row 34; image point (20, 50) -> crop (20, 45) ->
    pixel (19, 44) is off the 40-pixel crop, but (20, 10) -> crop (20, 25)
    -> pixel (19, 24). The red input point (crop frame) (8, 12) -> pixel
    (7, 11)."""
    identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    half = [[0.5, 0.0, 10.0], [0.0, 0.5, 20.0]]
    landmarks = image_landmarks(2)
    landmarks[1][:] = torch.tensor([40.0, 30.0, 5.0])
    landmarks[1][1] = torch.tensor([20.0, 10.0, 5.0])
    landmarks[1][2] = torch.tensor([20.0, 50.0, 5.0])
    batch = make_batch(2, [identity, half])
    inputs = torch.zeros(68, 2)
    inputs[:] = torch.tensor([8.0, 12.0])
    batch['data_samples'][1].landmarks_2d_input = inputs
    visible = torch.ones(68, dtype=torch.bool)
    visible[5] = False
    inputs[5] = torch.tensor([30.0, 30.0])  # hidden: not drawn
    batch['data_samples'][1].landmarks_2d_input_visible = visible
    visualizer = Recorder()
    runner = SimpleNamespace(
        model=StubModel(landmarks), visualizer=visualizer, iter=0)
    hook = HOOKS.build(dict(type='LandmarkGridHook', interval=1))
    train(hook, runner, batch, 1)
    (_, grid, _), = visualizer.images
    assert grid.shape == (SIZE, 2 * SIZE, 3)
    first, second = grid[:, :SIZE], grid[:, SIZE:]
    # filled radius-1 discs: the centre and its 4 neighbours at least
    green = colored(second, GREEN)
    for row, col in [(34, 29), (24, 19)]:
        assert {(row, col), (row - 1, col), (row + 1, col), (row, col - 1),
                (row, col + 1)} <= green
    assert all(
        min(abs(r - row) + abs(c - col) for row, col in [(34, 29), (24, 19)])
        <= 2 for r, c in green)
    red = colored(second, RED)
    assert (11, 7) in red and all(abs(r - 11) + abs(c - 7) <= 2
                                  for r, c in red)
    # everything else is the restored crop (zeros -> mid gray)
    drawn = np.zeros((SIZE, SIZE), bool)
    for r, c in green | red:
        drawn[r, c] = True
    assert (second[~drawn] == GRAY).all()
    # first tile, identity crop: the 68 points at image (30, 30) -> (29, 29)
    assert (29, 29) in colored(first, GREEN)
    assert not colored(first, RED)


def test_skips_iterations_without_a_batch():
    hook = HOOKS.build(dict(type='LandmarkGridHook', interval=1))
    visualizer = Recorder()
    runner = SimpleNamespace(
        model=StubModel([]), visualizer=visualizer, iter=0)
    hook.after_train_iter(runner, 0, None, None)
    assert visualizer.images == []


@pytest.mark.parametrize('kwargs', [dict(interval=0), dict(max_images=0)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match='must be >= 1'):
        HOOKS.build(dict(type='LandmarkGridHook', **kwargs))
