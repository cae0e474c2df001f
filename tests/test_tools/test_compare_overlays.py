"""tools/analysis_tools/compare_overlays.py run as a user runs it (the
README's data root, relative to the checkout) with the converted 3DDFA_V2
as both models: a grid of 2 rows of ``--num`` square tiles, the faces drawn
are large poses by the raw AFLW2000-3D yaw file, in the order and with the
crops of its released boxes, and two equal models draw equal rows; no face
past ``--min-yaw``: one line, exit 1, no image."""
import re

import cv2
import numpy as np
import pytest

TOOL = 'analysis_tools/compare_overlays.py'
CONFIG = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'
ANN = 'aflw2000_3d/annotations'
NUM = 2
MIN_YAW = 60


def released_crop(data_root, names, boxes, row, side):
    """AFLW2000-3D image ``row`` cut to its released box (pixels outside
    the image black), resized to ``side`` x ``side``."""
    image = cv2.imread(str(data_root / 'aflw2000_3d/AFLW2000' / names[row]))
    sx, sy, ex, ey = np.round(boxes[row]).astype(int)
    pad = max(0, -sx, -sy, ex - image.shape[1], ey - image.shape[0])
    image = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    crop = image[sy + pad:ey + pad, sx + pad:ex + pad]
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)


@pytest.mark.e2e
def test_large_pose_grid_of_two_equal_models(run_tool, load_tool, readme_env,
                                             converted_3ddfa_v2, data_root,
                                             tmp_path):
    # PNG, not the default JPEG: JPEG's chroma upsampling blends the pixel
    # rows on either side of the seam between the two rows
    out = tmp_path / 'overlays.png'
    result = run_tool(TOOL, CONFIG, converted_3ddfa_v2, CONFIG,
                      converted_3ddfa_v2, '--min-yaw', MIN_YAW, '--num', NUM,
                      '--out', out, env=readme_env)
    assert out.is_file(), result.stdout
    grid = cv2.imread(str(out))

    # model A on top, model B below, one TILE x TILE tile per face
    tile = load_tool(TOOL).TILE
    assert grid.shape == (2 * tile, NUM * tile, 3)
    # A == B: the same pixels in both rows
    assert np.array_equal(grid[:tile], grid[tile:])

    # the faces: NUM different rows of the AFLW2000-3D list (the config's
    # test set is the 2000 listed images in list order) whose yaw in the
    # released pose file (degrees, REFERENCE.md; wrapped into [-180, 180):
    # image 1474's -351 is +9) is past --min-yaw, the first of them included
    chosen = re.search(r'dataset indices \[([\d, ]+)\]', result.stdout)
    assert chosen, result.stdout
    chosen = [int(i) for i in chosen.group(1).split(',')]
    yaw = np.load(data_root / ANN / 'AFLW2000-3D.pose.npy')
    assert yaw.shape == (2000, )
    yaw = np.angle(np.exp(1j * np.deg2rad(yaw)), deg=True)
    assert abs(yaw[1474] - 8.8) < 0.5
    large = np.flatnonzero(np.abs(yaw) > MIN_YAW)
    assert len(chosen) == len(set(chosen)) == NUM
    assert all(abs(yaw[i]) > MIN_YAW for i in chosen), yaw[chosen]
    assert chosen == sorted(chosen) and chosen[0] == large[0]

    # tile k shows face k: the released crop of that image is nearer to it
    # than the other chosen face's (the overlay covers part of the face)
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    boxes = np.load(data_root / ANN / 'AFLW2000-3D_crop.roi_box.npy')
    crops = [
        released_crop(data_root, names, boxes, i, tile).astype(float)
        for i in chosen
    ]
    for k in range(NUM):
        drawn = grid[:tile, k * tile:(k + 1) * tile].astype(float)
        distances = [np.abs(drawn - crop).mean() for crop in crops]
        assert np.argmin(distances) == k, distances


def test_no_face_past_min_yaw_one_line(run_tool, readme_env,
                                       converted_3ddfa_v2, tmp_path):
    """A --min-yaw no wrapped |yaw| exceeds (180; the raw file holds -351
    for +9): one line naming the bound, exit 1, no traceback, no image."""
    bound = 180.0
    out = tmp_path / 'none.jpg'
    result = run_tool(TOOL, CONFIG, converted_3ddfa_v2, CONFIG,
                      converted_3ddfa_v2, '--min-yaw', bound, '--num', NUM,
                      '--out', out, env=dict(readme_env, MMFACE3D_DEBUG=None),
                      check=False)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text[-3000:]
    assert 'Traceback' not in text
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, text[-3000:]
    assert re.match(r'compare_overlays\.py: error: .*\b0\b.*\|yaw\| > '
                    rf'{bound:g}', lines[0]), lines[0]
    assert not out.exists()
