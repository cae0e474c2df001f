"""Image sizes from file headers."""
import numpy as np

from mmface3d.datasets import read_image_sizes


def test_read_image_sizes(data_root, tmp_path):
    good = data_root / 'aflw2000_3d/AFLW2000/image00002.jpg'
    garbage = tmp_path / 'garbage.jpg'
    garbage.write_bytes(b'not an image')
    sizes, reasons = read_image_sizes(
        [good, garbage, tmp_path / 'missing.jpg'])
    np.testing.assert_array_equal(sizes, [[450, 450], [0, 0], [0, 0]])
    assert reasons[0] == '' and reasons[1] and 'No such file' in reasons[2]
