"""run_tool: a user's error ends a tool with one line, also when it was
raised in a dataloader worker process."""
import sys

import pytest
import torch

from mmface3d.datasets.transforms.face_data_error import FaceImageError
from mmface3d.utils import run_tool


class BrokenImages(torch.utils.data.Dataset):
    """Sample 1 is a corrupt image."""

    def __len__(self):
        return 3

    def __getitem__(self, idx):
        if idx == 1:
            raise FaceImageError('/data/b.jpg', 'corrupt JPEG data (Corrupt '
                                 'JPEG data: premature end of data segment)')
        return torch.zeros(2)


def run(main, monkeypatch, capsys):
    """``run_tool(main)`` as ``tools/test.py``: (exit status, stderr)."""
    monkeypatch.setattr(sys, 'argv', ['tools/test.py'])
    monkeypatch.delenv('MMFACE3D_DEBUG', raising=False)
    with pytest.raises(SystemExit) as info:
        run_tool(main)
    return info.value.code, capsys.readouterr().err


@pytest.mark.parametrize('num_workers', [0, 1])
def test_data_error_is_one_line(monkeypatch, capsys, num_workers):
    """torch re-raises a worker's FaceImageError as a RuntimeError whose
    message holds the worker's traceback; the user sees the message."""

    def main():
        list(torch.utils.data.DataLoader(BrokenImages(),
                                         num_workers=num_workers))

    code, err = run(main, monkeypatch, capsys)
    assert code == 1
    assert err == ('test.py: error: /data/b.jpg: corrupt JPEG data (Corrupt '
                   'JPEG data: premature end of data segment) '
                   '(MMFACE3D_DEBUG=1 shows the traceback)\n')


def test_key_error_without_quotes(monkeypatch, capsys):

    def main():
        raise KeyError('no `test_dataloader` in the config')

    code, err = run(main, monkeypatch, capsys)
    assert code == 1
    assert err.startswith('test.py: error: no `test_dataloader` in the config'
                          ' (MMFACE3D')


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv('MMFACE3D_DEBUG', '1')

    def main():
        raise ValueError('bad value')

    with pytest.raises(ValueError, match='bad value'):
        run_tool(main)


def test_bugs_propagate(monkeypatch):
    """Errors that are not the user's (an IndexError) keep their
    traceback."""
    monkeypatch.delenv('MMFACE3D_DEBUG', raising=False)

    def main():
        return [][1]

    with pytest.raises(IndexError):
        run_tool(main)
