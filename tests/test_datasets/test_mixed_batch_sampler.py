import numpy as np
import pytest
from mmengine.dataset import BaseDataset, DefaultSampler
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmface3d.datasets import MixedBatchSampler, MixedFaceDataset


class ToyDataset(BaseDataset):
    """``size`` samples of one kind, no files."""

    def __init__(self, size, has_3d, **kwargs):
        self.size, self.has_3d = size, has_3d
        # serialize_data=False: skips mmengine's gc.collect, slow in tests
        super().__init__(
            metainfo=dict(has_3d=has_3d), serialize_data=False, **kwargs)

    def load_data_list(self):
        return [dict(i=i, has_3d=self.has_3d) for i in range(self.size)]


def mixed(n3=20, n2=9):
    return MixedFaceDataset([ToyDataset(n3, True), ToyDataset(n2, False)])


def make(dataset, batch_size=4, seed=0, shuffle=True, **kwargs):
    sampler = DefaultSampler(dataset, shuffle=shuffle, seed=seed)
    return MixedBatchSampler(sampler, batch_size, **kwargs)


def test_ratio_and_epoch_length():
    dataset = mixed()
    sampler = make(dataset, batch_size=4, ratio_3d=0.75)
    batches = list(sampler)
    # one pass over the 20 3D samples, 3 per batch
    assert len(batches) == len(sampler) == 7
    flags = dataset.flag_3d
    for batch in batches:
        assert len(batch) == 4
        assert flags[batch].tolist() == [True, True, True, False]
    first_pass = np.concatenate([b[:3] for b in batches])[:20]
    assert sorted(first_pass) == list(range(20))
    # 2D samples cycle: every one of the 9 is used before any repeats
    second = np.concatenate([b[3:] for b in batches])
    assert sorted(second[:7]) == sorted(set(second[:7]))


def test_seed_and_epoch():
    dataset = mixed()
    a, b = make(dataset, seed=3), make(dataset, seed=3)
    assert list(a) == list(b)
    assert list(make(dataset, seed=4)) != list(a)
    epoch0 = list(a)
    a.set_epoch(1)
    assert a.sampler.epoch == 1 and list(a) != epoch0
    b.sampler.set_epoch(1)  # what mmengine's loops call
    assert list(b) == list(a)
    ordered = make(dataset, shuffle=False, ratio_3d=0.5)
    assert list(ordered)[:2] == [[0, 1, 20, 21], [2, 3, 22, 23]]


def test_two_ranks_get_disjoint_mixed_batches():
    dataset = mixed(n3=40, n2=30)
    ranks = [
        make(
            dataset, batch_size=6, ratio_3d=0.5, seed=7, rank=r, world_size=2)
        for r in range(2)
    ]
    batches = [list(s) for s in ranks]
    assert len(batches[0]) == len(batches[1]) == len(ranks[0]) == 7
    flags = dataset.flag_3d
    for rank_batches in batches:
        for batch in rank_batches:
            assert flags[batch].sum() == 3 and (~flags[batch]).sum() == 3
    three_d = [np.concatenate([b[:3] for b in rb]) for rb in batches]
    two_d = [np.concatenate([b[3:] for b in rb]) for rb in batches]
    # 42 3D draws cover the 40 samples; within the first pass (40 draws)
    # no index goes to both ranks
    stream = np.stack([three_d[0].reshape(7, 3), three_d[1].reshape(7, 3)],
                      1).reshape(-1)
    assert sorted(stream[:40]) == list(range(40))
    assert set(np.concatenate(two_d)) == set(range(40, 70))
    # the ranks' 2D samples are disjoint too (42 draws of 30: only the
    # second pass may repeat)
    stream2 = np.stack([two_d[0].reshape(7, 3), two_d[1].reshape(7, 3)],
                       1).reshape(-1)
    assert len(set(stream2[:30])) == 30


def test_epoch_by_and_errors():
    dataset = mixed(n3=20, n2=9)
    assert len(make(dataset, batch_size=4, ratio_3d=0.5, epoch_by='2d')) == 5
    # 1 3D sample per batch needs 20 batches, 3 2D samples need 3
    assert len(make(dataset, batch_size=4, ratio_3d=0.25,
                    epoch_by='max')) == 20
    assert len(make(dataset, batch_size=4, ratio_3d=0.25, epoch_by='2d')) == 3
    only_3d = make(dataset, batch_size=4, ratio_3d=1.0)
    assert all(dataset.flag_3d[b].all() for b in only_3d)
    with pytest.raises(ValueError, match="epoch_by='2d'"):
        make(dataset, ratio_3d=1.0, epoch_by='2d')
    with pytest.raises(ValueError, match='has none'):
        make(MixedFaceDataset([ToyDataset(5, True)]), ratio_3d=0.5)
    with pytest.raises(ValueError, match=r'ratio_3d must be in \[0, 1\]'):
        make(dataset, ratio_3d=1.5)
    with pytest.raises(TypeError, match='MixedFaceDataset'):
        MixedBatchSampler(DefaultSampler(ToyDataset(4, True)), 2)
    with pytest.raises(ValueError, match='rank must be'):
        make(dataset, rank=2, world_size=2)


def test_built_by_the_runner():
    """The config form: mmengine builds the sampler, then ours around it."""
    init_default_scope('mmface3d')
    loader = Runner.build_dataloader(
        dict(
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_sampler=dict(type='MixedBatchSampler', ratio_3d=0.5),
            dataset=MixedFaceDataset(
                [ToyDataset(8, True),
                 ToyDataset(6, False)])),
        seed=0)
    assert isinstance(loader.batch_sampler, MixedBatchSampler)
    batches = list(loader)
    assert len(batches) == 4
    for batch in batches:  # pseudo_collate: a dict of lists
        assert batch['has_3d'] == [True, True, False, False]
