import numpy as np
from mmengine.dataset import BaseDataset

from mmface3d.datasets import MixedFaceDataset, format_landmark_line
from mmface3d.registry import DATASETS


class NoKindDataset(BaseDataset):
    """A member without ``has_3d`` metainfo: asked per sample."""

    def load_data_list(self):
        return [dict(has_3d=i % 2 == 0) for i in range(5)]


def test_members_from_configs(data_root, tmp_path):
    ann = data_root / 'aflw2000_3d/annotations'
    names = (ann / 'AFLW2000-3D.list').read_text().split()[10:13]
    pts = np.load(ann / 'AFLW2000-3D.pts68.npy')[10:13, :2].transpose(0, 2, 1)
    wild = tmp_path / 'wild.txt'
    wild.write_text('\n'.join(
        format_landmark_line(n, p) for n, p in zip(names, pts)) + '\n')
    dataset = DATASETS.build(
        dict(
            type='MixedFaceDataset',
            datasets=[
                dict(type='AFLW2000Dataset', with_params=True, indices=4),
                dict(
                    type='InTheWildDataset',
                    ann_file=str(wild),
                    data_prefix=dict(
                        img_path=str(data_root / 'aflw2000_3d/AFLW2000')))
            ]))
    assert isinstance(dataset, MixedFaceDataset) and len(dataset) == 7
    np.testing.assert_array_equal(dataset.flag_3d, [True] * 4 + [False] * 3)
    assert 'gt_params_img' in dataset[0] and dataset[0]['has_3d']
    assert dataset[0]['params_convention'] == 'v1'
    assert dataset[5]['img_path'].endswith(names[1])
    assert not dataset[5]['has_3d'] and 'gt_params_img' not in dataset[5]


def test_per_sample_kind_and_lazy_init():
    dataset = MixedFaceDataset([NoKindDataset(serialize_data=False)],
                               lazy_init=True)
    assert not dataset._fully_initialized
    np.testing.assert_array_equal(dataset.flag_3d,
                                  [True, False, True, False, True])
