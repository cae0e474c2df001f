"""tools/misc/download_bfm.py against a file:// mirror of a few small real
BFM files (copied from the shared data into tmp_path)."""
import hashlib
from pathlib import Path

import pytest

TOOL = 'misc/download_bfm.py'
SMALL = ('keypoints_sim.npy', 'param_whitening.pkl',
         'param_mean_std_62d_120x120.pkl')


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def mirror(tmp_path, data_root):
    """A folder holding copies of the small released files."""
    folder = tmp_path / 'mirror'
    folder.mkdir()
    for name in SMALL:
        (folder / name).write_bytes((data_root / 'bfm' / name).read_bytes())
    return folder


@pytest.fixture
def run(tool):
    """The tool's ``main`` on a command line of paths and strings."""
    return lambda *args: tool.main([str(a) for a in args])


def test_manifest_covers_the_shared_data(tool, data_root):
    names = sorted(p.name for p in (data_root / 'bfm').iterdir())
    assert sorted(tool.FILES) == names
    for name, entry in tool.FILES.items():
        assert _sha(data_root / 'bfm' / name) in entry.sha256, name
        assert entry.licence
        assert entry.url is None or entry.url.startswith('https://')
        assert entry.url is not None or entry.source


def test_download_from_file_url(tool, run, mirror, tmp_path, data_root,
                                capsys):
    out = tmp_path / 'out'
    assert run('--out', out, '--base-url', mirror.as_uri(), '--files',
               *SMALL) == tool.EXIT_OK
    assert sorted(p.name for p in out.iterdir()) == sorted(SMALL)
    for name in SMALL:
        assert _sha(out / name) == _sha(data_root / 'bfm' / name)
    # The licence notice is printed once however many files are fetched.
    assert capsys.readouterr().out.count('Basel Face Model') == 1


def test_corrupted_copy_fails_and_leaves_nothing(tool, run, mirror, tmp_path,
                                                 capsys):
    data = bytearray((mirror / 'param_whitening.pkl').read_bytes())
    data[-10] ^= 0xFF
    (mirror / 'param_whitening.pkl').write_bytes(bytes(data))
    out = tmp_path / 'out'
    assert run('--out', out, '--base-url', mirror.as_uri(), '--files',
               'param_whitening.pkl') == tool.EXIT_CHECKSUM
    assert list(out.iterdir()) == []
    err = capsys.readouterr().err
    expected = tool.FILES['param_whitening.pkl'].sha256[0]
    assert 'param_whitening.pkl' in err
    assert expected in err and hashlib.sha256(data).hexdigest() in err


def test_install_from_local_dir(tool, run, mirror, tmp_path, data_root):
    out = tmp_path / 'out'
    assert run('--out', out, '--from', mirror, '--files',
               *SMALL) == tool.EXIT_OK
    for name in SMALL:
        assert _sha(out / name) == _sha(data_root / 'bfm' / name)


def test_rerun_skips_verified_files(tool, run, mirror, tmp_path, capsys):
    out = tmp_path / 'out'
    assert run('--out', out, '--base-url', mirror.as_uri(), '--files',
               *SMALL) == tool.EXIT_OK
    capsys.readouterr()
    # With the mirror gone, a second run can only succeed by skipping.
    for path in mirror.iterdir():
        path.unlink()
    assert run('--out', out, '--base-url', mirror.as_uri(), '--files',
               *SMALL) == tool.EXIT_OK
    assert capsys.readouterr().out.count('already present') == len(SMALL)
    # --force fetches again, so now it fails on the missing source.
    assert run('--out', out, '--base-url', mirror.as_uri(), '--files',
               SMALL[0], '--force') == tool.EXIT_UNREACHABLE


def test_wrong_existing_file_is_replaced(tool, run, mirror, tmp_path,
                                         data_root):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keypoints_sim.npy').write_bytes(b'not the array')
    assert run('--out', out, '--base-url', mirror.as_uri(), '--files',
               'keypoints_sim.npy') == tool.EXIT_OK
    assert _sha(out / 'keypoints_sim.npy') == _sha(data_root / 'bfm' /
                                                   'keypoints_sim.npy')


def test_unreachable_source_suggests_from(tool, run, tmp_path, capsys):
    base = (tmp_path / 'offline').as_uri()
    assert run('--out', tmp_path / 'out', '--base-url', base, '--files',
               'tri.pkl') == tool.EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert f'{base}/tri.pkl' in err and '--from' in err
    assert list((tmp_path / 'out').iterdir()) == []


def test_manual_file_asks_for_from(tool, run, tmp_path, capsys):
    assert tool.FILES['model_info.mat'].url is None
    assert run('--out', tmp_path / 'out', '--files',
               'model_info.mat') == tool.EXIT_MANUAL
    err = capsys.readouterr().err
    assert 'model_info.mat' in err and 'by hand' in err and '--from' in err


def test_usage_errors(tool, run, tmp_path):
    with pytest.raises(SystemExit) as info:
        run('--out', tmp_path, '--files', 'no_such_file.npy')
    assert info.value.code == tool.EXIT_USAGE
    assert run('--out', tmp_path, '--from', tmp_path / 'absent', '--files',
               'tri.pkl') == tool.EXIT_USAGE


def test_command_line(run_tool, mirror, tmp_path, data_root):
    out = tmp_path / 'out'
    run_tool(TOOL, '--out', out, '--base-url', mirror.as_uri(), '--files',
             'keypoints_sim.npy', timeout=120)
    assert _sha(out / 'keypoints_sim.npy') == _sha(data_root / 'bfm' /
                                                   'keypoints_sim.npy')
