"""Batches with a fixed share of 3D-annotated and 2D-only samples."""
import math
from typing import Iterator, List, Optional

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import BatchSampler, Sampler

from mmface3d.registry import DATA_SAMPLERS

EPOCH_BY = ('3d', '2d', 'max')


@DATA_SAMPLERS.register_module()
class MixedBatchSampler(BatchSampler):
    """Every batch holds ``round(batch_size * ratio_3d)`` 3D-annotated samples
    followed by 2D-only samples, drawn from a
    :class:`~mmface3d.datasets.MixedFaceDataset`.

    Used as the dataloader's ``batch_sampler``; its ``sampler`` (the one
    mmengine builds, e.g. ``DefaultSampler``) provides the dataset, the seed,
    ``shuffle`` and the epoch (mmengine's loops call
    ``batch_sampler.sampler.set_epoch``); its own index order is not used::

        train_dataloader = dict(
            batch_size=32,
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_sampler=dict(type='MixedBatchSampler', ratio_3d=0.5),
            dataset=dict(type='MixedFaceDataset', datasets=[...]))

    Each epoch, every group (3D, 2D) is read as a stream of permutations
    (a new one, seeded by ``seed + epoch``, each time the group runs out;
    the plain order without ``shuffle``). Global batch ``b`` of rank ``r``
    takes the next ``n3`` 3D and ``n2`` 2D indices of that stream at position
    ``b * world_size + r``: the ranks read disjoint slices, so within one pass
    over a group no index is given to two ranks; all ranks get the same
    number of batches. ``epoch_by`` picks the group that sets the epoch
    length (one pass over it, the last batch filled from its next pass);
    the other group is cycled or cut.

    Args:
        sampler (Sampler): The dataloader's sampler; ``sampler.dataset``
            must have ``flag_3d`` (a :class:`MixedFaceDataset`).
        batch_size (int): Samples per batch (per rank).
        ratio_3d (float): Share of 3D-annotated samples per batch, in
            [0, 1]. Defaults to 0.5.
        epoch_by (str): ``'3d'``, ``'2d'`` or ``'max'`` (whichever group
            needs more batches). Defaults to ``'3d'``.
        rank (int, optional): This process's rank; None asks
            ``mmengine.dist``. Defaults to None.
        world_size (int, optional): Number of processes; None asks
            ``mmengine.dist``. Defaults to None.
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 ratio_3d: float = 0.5,
                 epoch_by: str = '3d',
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None) -> None:
        dataset = getattr(sampler, 'dataset', None)
        if not hasattr(dataset, 'flag_3d'):
            raise TypeError(
                'MixedBatchSampler needs a sampler over a MixedFaceDataset '
                f'(a dataset with `flag_3d`), got {type(dataset).__name__}')
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f'batch_size must be a positive int, got {batch_size!r}')
        if not 0 <= ratio_3d <= 1:
            raise ValueError(f'ratio_3d must be in [0, 1], got {ratio_3d}')
        if epoch_by not in EPOCH_BY:
            raise ValueError(
                f'epoch_by must be one of {EPOCH_BY}, got {epoch_by!r}')
        dist_rank, dist_world = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.world_size = dist_world if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f'rank must be in [0, world_size), got rank='
                             f'{self.rank}, world_size={self.world_size}')
        super().__init__(sampler, batch_size, drop_last=False)
        self.ratio_3d = ratio_3d
        self.epoch_by = epoch_by
        self.num_3d = int(round(batch_size * ratio_3d))
        self.num_2d = batch_size - self.num_3d
        seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle = bool(getattr(sampler, 'shuffle', True))
        self._epoch = 0

        flags = np.asarray(dataset.flag_3d, dtype=bool)
        self.indices_3d = np.flatnonzero(flags)
        self.indices_2d = np.flatnonzero(~flags)
        groups = (('3D-annotated', self.num_3d, self.indices_3d),
                  ('2D-only', self.num_2d, self.indices_2d))
        for name, count, indices in groups:
            if count and not len(indices):
                raise ValueError(
                    f'ratio_3d={ratio_3d} asks for {count} {name} samples '
                    f'per batch, but the dataset has none')
        self.num_batches = self._num_batches()

    def _num_batches(self) -> int:
        """Batches per rank for one pass over the ``epoch_by`` group."""
        needed = {
            '3d': (len(self.indices_3d), self.num_3d),
            '2d': (len(self.indices_2d), self.num_2d)
        }
        counts = {
            group: math.ceil(size / (per_batch * self.world_size))
            for group, (size, per_batch) in needed.items() if per_batch
        }
        if self.epoch_by == 'max':
            return max(counts.values())
        if self.epoch_by not in counts:
            raise ValueError(
                f"epoch_by='{self.epoch_by}' but ratio_3d={self.ratio_3d} "
                f'puts no {self.epoch_by.upper()} sample in a batch')
        return counts[self.epoch_by]

    @property
    def epoch(self) -> int:
        """The epoch: the sampler's when it keeps one, else our own."""
        return getattr(self.sampler, 'epoch', self._epoch)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (also on the wrapped sampler)."""
        self._epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def _stream(self, indices: np.ndarray, total: int,
                generator: torch.Generator) -> np.ndarray:
        """The first ``total`` entries of a stream of permutations of
        ``indices``."""
        passes = math.ceil(total / len(indices)) if total else 0
        if self.shuffle:
            order = [
                indices[torch.randperm(len(indices),
                                       generator=generator).numpy()]
                for _ in range(passes)
            ]
        else:
            order = [indices] * passes
        return np.concatenate(order)[:total] if order else indices[:0]

    def batches(self) -> List[List[int]]:
        """This rank's batches of the current epoch."""
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        steps = self.num_batches * self.world_size
        parts = []
        for indices, count in ((self.indices_3d, self.num_3d),
                               (self.indices_2d, self.num_2d)):
            stream = self._stream(indices, steps * count, generator)
            parts.append(
                stream.reshape(self.num_batches, self.world_size,
                               count)[:, self.rank])
        return np.concatenate(parts, axis=1).tolist()

    def __iter__(self) -> Iterator[List[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return self.num_batches
