"""BFM and whitening pickles: code-running pickles are refused before they
run, the released files read exactly as a plain pickle.load reads them."""
import os
import pickle

import numpy as np
import pytest

from mmface3d.morphable import (ArrayUnpickler, MorphableModel,
                                load_array_pickle, load_param_stats,
                                load_tddfa_v2_arrays)

REAL_PICKLES = ['bfm/bfm_noneck_v3.pkl', 'bfm/param_whitening.pkl',
                'bfm/param_mean_std_62d_120x120.pkl', 'bfm/tri.pkl']


class RunsShell:
    """Unpickles as ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


class RunsEval:
    """Unpickles as ``eval(source)``."""

    def __init__(self, source):
        self.source = source

    def __reduce__(self):
        return eval, (self.source, )


def payloads(marker):
    """(object, the global its pickle names) pairs that would create
    ``marker`` when unpickled."""
    return [
        (RunsShell(f'touch {marker}'),
         f'{os.system.__module__}.system'),
        (RunsEval(f"open({str(marker)!r}, 'w').close()"), 'builtins.eval'),
    ]


@pytest.mark.parametrize('which', [0, 1])
def test_malicious_bfm_pickle_is_refused(tmp_path, which):
    marker = tmp_path / 'pwned'
    payload, name = payloads(marker)[which]
    rng = np.random.default_rng(0)
    arrays = dict(
        u=rng.normal(size=(204, 1)).astype(np.float32),
        w_shp=rng.normal(size=(204, 40)).astype(np.float32),
        w_exp=payload,
        keypoints=np.arange(204),
        tri=np.array([[0, 1], [1, 2], [2, 3]]))
    path = tmp_path / 'bfm_noneck_v3.pkl'
    path.write_bytes(pickle.dumps(arrays))
    with pytest.raises(pickle.UnpicklingError) as err:
        MorphableModel(model_path=str(path), layout='3ddfa_v2',
                       param_stats=None)
    assert str(path) in str(err.value)
    assert f'`{name}`' in str(err.value)
    with pytest.raises(pickle.UnpicklingError, match='bfm_noneck_v3.pkl'):
        load_tddfa_v2_arrays(path)
    assert not marker.exists()


@pytest.mark.parametrize('which', [0, 1])
def test_malicious_whitening_pickle_is_refused(tmp_path, data_root, which):
    marker = tmp_path / 'pwned'
    payload, name = payloads(marker)[which]
    path = tmp_path / 'param_whitening.pkl'
    path.write_bytes(
        pickle.dumps(
            dict(param_mean=np.zeros(62, np.float32), param_std=payload)))
    with pytest.raises(pickle.UnpicklingError) as err:
        load_param_stats(path)
    assert str(path) in str(err.value) and f'`{name}`' in str(err.value)
    with pytest.raises(pickle.UnpicklingError, match='param_whitening.pkl'):
        MorphableModel(param_stats=str(path))
    assert not marker.exists()


def test_the_payloads_do_run_under_plain_pickle(tmp_path):
    """The fixture is real: plain ``pickle.loads`` creates the marker."""
    for i, (payload, _) in enumerate(payloads(tmp_path / 'ran')):
        pickle.loads(pickle.dumps(payload))
        assert (tmp_path / 'ran').exists()
        (tmp_path / 'ran').unlink()


@pytest.mark.parametrize('name', REAL_PICKLES)
def test_real_pickles_read_as_plain_pickle(data_root, name):
    path = data_root / name
    with open(path, 'rb') as f:
        expected = pickle.load(f)
    with open(path, 'rb') as f:
        got = ArrayUnpickler(f, path).load()
    if not isinstance(expected, dict):
        expected, got = dict(array=expected), dict(array=got)
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert isinstance(got[key], np.ndarray)
        assert got[key].dtype == value.dtype
        np.testing.assert_array_equal(got[key], value)


def test_real_files_load_through_the_loaders(data_root):
    with open(data_root / 'bfm/bfm_noneck_v3.pkl', 'rb') as f:
        plain = pickle.load(f)
    arrays = load_tddfa_v2_arrays(data_root / 'bfm/bfm_noneck_v3.pkl')
    for key in ('u', 'w_shp', 'w_exp', 'keypoints', 'tri'):
        np.testing.assert_array_equal(arrays[key], plain[key])
    for name, keys in (('param_whitening.pkl', ('param_mean', 'param_std')),
                       ('param_mean_std_62d_120x120.pkl', ('mean', 'std'))):
        with open(data_root / 'bfm' / name, 'rb') as f:
            plain = pickle.load(f)
        stats = load_param_stats(data_root / 'bfm' / name)
        np.testing.assert_array_equal(stats['mean'], plain[keys[0]])
        np.testing.assert_array_equal(stats['std'], plain[keys[1]])


def test_broken_pickles_name_the_file(tmp_path):
    path = tmp_path / 'stats.pkl'
    path.write_bytes(pickle.dumps([np.zeros(3)]))
    with pytest.raises(ValueError, match='stats.pkl.*dict.*list'):
        load_array_pickle(path)
    path.write_bytes(pickle.dumps(dict(mean=np.zeros(62)))[:20])
    with pytest.raises(ValueError, match='stats.pkl: not a readable pickle'):
        load_array_pickle(path)
    path.write_bytes(pickle.dumps(dict(mean=np.zeros(62))))
    with pytest.raises(ValueError, match="stats.pkl.*'param_mean'"):
        load_param_stats(path)
    path.write_bytes(pickle.dumps(dict(mean=np.zeros(60),
                                       std=np.ones(60))))
    with pytest.raises(ValueError, match=r'stats.pkl: mean.*\(62,\)'):
        load_param_stats(path)
    path.write_bytes(pickle.dumps(dict(u=np.zeros((204, 1)))))
    with pytest.raises(ValueError, match=r'stats.pkl: keys \[.*w_shp'):
        load_tddfa_v2_arrays(path)
