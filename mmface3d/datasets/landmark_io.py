"""The landmark list format of mmface3d (docs/datasets.md).

One line per image: ``name,x1,y1,...,xK,yK``. ``name`` is the image path
relative to the dataset's image prefix, the coordinates are pixels.
``-1,-1`` marks a missing point (the AFLW convention). A line holding only a
name means the detector found no face there. Blank lines and lines starting
with ``#`` are ignored. ``fan_landmarks_crop120.txt`` of AFLW2000-3D follows
the same format (crop coordinates; its two failed lines hold the list index
instead of a name), and so does the output of
``tools/dataset_converters/detect_landmarks.py``.
"""
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np

MISSING = -1.0


def load_landmark_file(path: Union[str, Path],
                       num_points: Optional[int] = None) -> Dict:
    """Read a landmark list.

    Args:
        path (str | Path): The list file.
        num_points (int, optional): Points per line; None takes the count of
            the first line with points. Defaults to None.

    Returns:
        dict: ``names`` (list[str], lines with points, in file order),
        ``points`` (N, K, 2) float32, ``visible`` (N, K) bool (False where a
        point is ``-1,-1``), ``line_numbers`` (N,) int64 (1-based) and
        ``failed`` (list[str], the names of lines without points).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a line has the wrong number of values, a value that is
            not a finite number, or a name seen before; the message names the
            file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'landmark file {path} does not exist')
    names: List[str] = []
    rows: List[List[float]] = []
    line_numbers: List[int] = []
    failed: List[str] = []
    seen: Dict[str, int] = {}
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            fields = line.split(',')
            name = fields[0].strip()
            if name in seen:
                raise ValueError(f'{path}, line {number}: image {name!r} is '
                                 f'already listed on line {seen[name]}')
            seen[name] = number
            values = fields[1:]
            if not values:
                failed.append(name)
                continue
            if num_points is None:
                if len(values) % 2:
                    raise ValueError(
                        f'{path}, line {number}: expected the image name and '
                        f'x, y pairs, got {len(values)} values')
                num_points = len(values) // 2
            if len(values) != 2 * num_points:
                raise ValueError(
                    f'{path}, line {number}: expected {2 * num_points} '
                    f'values ({num_points} points x, y) after the image name, '
                    f'got {len(values)}')
            try:
                row = [float(v) for v in values]
            except ValueError as err:
                raise ValueError(f'{path}, line {number}: {err}') from err
            if not np.isfinite(row).all():
                raise ValueError(f'{path}, line {number}: coordinates must be '
                                 'finite numbers')
            names.append(name)
            rows.append(row)
            line_numbers.append(number)
    points = np.asarray(
        rows, dtype=np.float32).reshape(len(rows), num_points or 0, 2)
    visible = ~(points == MISSING).all(axis=2)
    return dict(
        names=names,
        points=points,
        visible=visible,
        line_numbers=np.asarray(line_numbers, dtype=np.int64),
        failed=failed)


def format_landmark_line(name: str,
                         points: Optional[np.ndarray] = None) -> str:
    """One line of a landmark list (without the newline).

    Args:
        name (str): Image path relative to the image prefix; must not contain
            a comma.
        points (np.ndarray, optional): (K, 2) pixel coordinates; None writes
            the name alone (no face found). Defaults to None.

    Returns:
        str: The line.
    """
    if ',' in name or '\n' in name:
        raise ValueError(f'image name {name!r} must not contain a comma or a '
                         'newline (it is the first field of a CSV line)')
    if points is None:
        return name
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f'points of {name} must be (K, 2), got '
                         f'{points.shape}')
    return ','.join([name] + [f'{v:.3f}' for v in points.reshape(-1)])
