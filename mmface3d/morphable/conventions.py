"""Params conventions: how the 62 parameters of a release project into pixels.

Both conventions project ``P[:, :3] @ S + P[:, 3]`` and then flip the image
rows (REFERENCE.md section 2):

- ``'v1'`` (3DDFA v1, 2DASL, the AFLW2000-3D / 300W-LP fits): ``x``,
  ``y = crop_size + 1 - y``; pixel centres at 1-based coordinates;
- ``'v2'`` (3DDFA_V2): ``x - 1``, ``y = crop_size - y``; 0-based.

The flip offsets are those of the network's crop size in every frame
(crop or image), so a params vector and its convention fix the pixel of each
vertex exactly.
"""
from typing import Tuple

from torch import Tensor

NUM_POSE = 12
CONVENTIONS = ('v1', 'v2')


def check_convention(convention: str) -> None:
    """Raise ``ValueError`` unless ``convention`` is ``'v1'`` or ``'v2'``."""
    if convention not in CONVENTIONS:
        raise ValueError(
            f"convention must be 'v1' or 'v2', got {convention!r}")


def flip_offsets(convention: str, crop_size: int = 120) -> Tuple[float, float]:
    """Image-row flip of a params convention: ``x + dx``, ``fy - y``.

    Args:
        convention (str): ``'v1'`` or ``'v2'``.
        crop_size (int): Side of the network's crop. Defaults to 120.

    Returns:
        tuple[float, float]: ``(dx, fy)``.
    """
    check_convention(convention)
    if convention == 'v1':
        return 0.0, float(crop_size + 1)
    return -1.0, float(crop_size)


def pixel_origin(convention: str) -> float:
    """Coordinate of the centre of pixel (0, 0) in a params convention: the
    v1 crops (and the AFLW2000-3D / 300W-LP annotations) are 1-based, as
    MATLAB counts, the 3DDFA_V2 ones 0-based. Renderers need it to put a
    projected mesh on the right pixels.

    Args:
        convention (str): ``'v1'`` or ``'v2'``.

    Returns:
        float: 1.0 for v1, 0.0 for v2.
    """
    check_convention(convention)
    return 1.0 if convention == 'v1' else 0.0


def convert_convention(params: Tensor,
                       source: str,
                       target: str,
                       crop_size: int = 120) -> Tensor:
    """The same projected face in another params convention (exact).

    Only the translation changes: ``t_x' = t_x + dx - dx'`` and
    ``t_y' = t_y + fy' - fy`` with the offsets of :func:`flip_offsets`.

    Args:
        params (Tensor): (B, P) raw params in ``source``.
        source (str): Convention of ``params``.
        target (str): Convention wanted.
        crop_size (int): Crop side of both conventions. Defaults to 120.

    Returns:
        Tensor: (B, P) params in ``target`` (``params`` itself when the two
        agree).
    """
    if source == target:
        check_convention(source)
        return params
    dx, fy = flip_offsets(source, crop_size)
    dx_new, fy_new = flip_offsets(target, crop_size)
    out = params.clone()
    out[:, 3] += dx - dx_new
    out[:, 7] += fy_new - fy
    return out
