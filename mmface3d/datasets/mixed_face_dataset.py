"""Concatenation of 3D-annotated and 2D-only face datasets."""
from typing import List, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, ConcatDataset, force_full_init

from mmface3d.registry import DATASETS


@DATASETS.register_module()
class MixedFaceDataset(ConcatDataset):
    """Datasets of both kinds (3D-annotated, 2D-only) behind one index.

    A :class:`mmengine.dataset.ConcatDataset` whose members may differ in
    metainfo, with :attr:`flag_3d` telling which global indices carry 3D
    annotation (``gt_params``): what
    :class:`~mmface3d.datasets.MixedBatchSampler` mixes.

    A member's kind comes from its metainfo ``has_3d``; a member without it
    is asked per sample (``get_data_info(i)['has_3d']``). A bad sample is
    replaced inside its member dataset, so a replacement keeps its kind.

    Args:
        datasets (Sequence[BaseDataset | dict]): Datasets or their configs
            (built with mmface3d's ``DATASETS``).
        lazy_init (bool): Defer loading the annotations. Defaults to False.
    """

    def __init__(self,
                 datasets: Sequence[Union[BaseDataset, dict]],
                 lazy_init: bool = False) -> None:
        if not datasets:
            raise ValueError('MixedFaceDataset needs at least one dataset')
        built = [
            DATASETS.build(d) if isinstance(d, dict) else d for d in datasets
        ]
        keys = sorted(set().union(*(d.metainfo.keys() for d in built)))
        super().__init__(built, lazy_init=lazy_init, ignore_keys=keys)

    def full_init(self) -> None:
        """Initialise the members and compute :attr:`flag_3d`."""
        if self._fully_initialized:
            return
        super().full_init()
        flags: List[np.ndarray] = []
        for dataset in self.datasets:
            has_3d = dataset.metainfo.get('has_3d')
            if has_3d is None:
                per_sample = [
                    bool(dataset.get_data_info(i).get('has_3d', False))
                    for i in range(len(dataset))
                ]
                flags.append(np.array(per_sample, dtype=bool))
            else:
                flags.append(np.full(len(dataset), bool(has_3d)))
        self._flag_3d = np.concatenate(flags)

    @property
    @force_full_init
    def flag_3d(self) -> np.ndarray:
        """(N,) bool: whether each global index is 3D-annotated."""
        return self._flag_3d
