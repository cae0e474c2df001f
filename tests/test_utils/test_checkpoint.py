"""mmface3d's checkpoint loader: weights-only always, full unpickling only
for a file trusted by name, run checkpoints that need no more."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

import mmface3d.utils.checkpoint as checkpoint_module
from mmface3d.utils.checkpoint import (UnsafeCheckpointError,
                                       decode_weights_only,
                                       encode_weights_only,
                                       load_checkpoint_file,
                                       load_model_weights, trust_checkpoint)


class TinyModel(BaseModel):
    """One linear layer trained to output zero."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=(out**2).mean())
        return out


class RunsShell:
    """Unpickles as ``os.system(command)``: proof that code ran."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


@pytest.fixture(autouse=True)
def no_trusted_files(monkeypatch):
    """Each test starts with no file trusted, and leaves none trusted."""
    monkeypatch.setattr(checkpoint_module, 'TRUSTED_FILES', set())


def make_runner(work_dir, max_iters, **kwargs):
    dataset = [dict(inputs=torch.tensor([float(i), 1.0])) for i in range(4)]
    return Runner(
        model=TinyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='SafeCheckpointHook')],
        default_scope='mmface3d',
        **kwargs)


@pytest.fixture(scope='module')
def run_checkpoint(tmp_path_factory):
    """A work dir after 2 training iterations, and its checkpoint."""
    work_dir = tmp_path_factory.mktemp('run')
    runner = make_runner(work_dir, max_iters=2)
    runner.train()
    return work_dir, work_dir / 'iter_2.pth', runner.model.state_dict()


def forged_run_checkpoint(path, marker):
    """What passed the old rule ('the pickle mentions HistoryBuffer'): a
    real message hub buffer next to a payload that creates ``marker``."""
    torch.save(
        dict(
            meta=dict(iter=2),
            state_dict={'linear.weight': torch.zeros(1, 2)},
            message_hub=dict(
                log_scalars={'train/loss': HistoryBuffer([1.0], [1])}),
            payload=RunsShell(f'touch {marker}')), path)


def plain_malicious_checkpoint(path, marker):
    torch.save(
        dict(
            state_dict={'linear.weight': torch.zeros(1, 2)},
            payload=RunsShell(f'touch {marker}')), path)


def test_installed_for_local_paths_only(run_checkpoint):
    _, path, _ = run_checkpoint
    assert CheckpointLoader._get_checkpoint_loader(str(path)) is \
        load_checkpoint_file
    assert CheckpointLoader._get_checkpoint_loader('https://x/y.pth') is not \
        load_checkpoint_file


def test_installed_by_the_engine_package():
    """The tools import ``mmface3d.engine`` for the loader (a fresh
    interpreter: this one has it installed already)."""
    code = ('from mmengine.runner.checkpoint import CheckpointLoader\n'
            'import mmface3d.engine\n'
            "loader = CheckpointLoader._get_checkpoint_loader('a/b.pth')\n"
            'print(loader.__module__, loader.__name__)\n')
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    assert out.split() == ['mmface3d.utils.checkpoint',
                           'load_checkpoint_file']


def test_run_checkpoint_loads_weights_only(run_checkpoint):
    """The SafeCheckpointHook's file needs nothing beyond weights-only
    loading; the loader gives back mmengine's objects."""
    _, path, _ = run_checkpoint
    plain = torch.load(path, weights_only=True)
    assert plain['meta']['iter'] == 2
    loaded = load_checkpoint_file(str(path))
    buffers = loaded['message_hub']['log_scalars']
    assert isinstance(buffers['train/loss'], HistoryBuffer)
    assert len(buffers['train/loss'].data[0]) == 2  # one loss per iteration
    assert 'optimizer' in loaded


def test_resume_continues_the_iteration_count(run_checkpoint):
    work_dir, _, trained = run_checkpoint
    runner = make_runner(work_dir, max_iters=4, resume=True)
    runner.load_or_resume()
    assert runner.iter == 2
    for key, value in trained.items():
        torch.testing.assert_close(runner.model.state_dict()[key], value)
    momentum = runner.optim_wrapper.optimizer.state_dict()['state']
    assert momentum, 'optimizer state (momentum buffers) was not resumed'
    runner.train()
    assert runner.iter == 4
    assert (work_dir / 'iter_4.pth').is_file()
    torch.load(work_dir / 'iter_4.pth', weights_only=True)


def test_load_from_a_run_checkpoint(run_checkpoint, tmp_path):
    _, path, trained = run_checkpoint
    runner = make_runner(tmp_path, max_iters=2, load_from=str(path))
    runner.load_or_resume()
    assert runner.iter == 0
    for key, value in trained.items():
        torch.testing.assert_close(runner.model.state_dict()[key], value)


def test_plain_state_dict_loads_weights_only(tmp_path, monkeypatch):
    model = TinyModel()
    path = tmp_path / 'converted.pth'
    weights = {
        'linear.weight': torch.tensor([[1.0, 2.0]]),
        'linear.bias': torch.tensor([3.0])
    }
    torch.save(dict(meta=dict(converter='test'), state_dict=weights), path)
    calls = []
    torch_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return torch_load(*args, **kwargs)

    monkeypatch.setattr(checkpoint_module.torch, 'load', recording_load)
    checkpoint = load_checkpoint(model, str(path), map_location='cpu')
    assert calls == [True]
    assert checkpoint['meta']['converter'] == 'test'
    torch.testing.assert_close(model.linear.weight, weights['linear.weight'])


@pytest.mark.parametrize('forge', [forged_run_checkpoint,
                                   plain_malicious_checkpoint])
def test_malicious_checkpoint_is_refused(tmp_path, forge):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    forge(path, marker)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_checkpoint_file(str(path))
    message = str(err.value)
    assert f'{path} holds pickled objects' in message
    assert f'`--trust-checkpoint {path}`' in message
    assert 'system' in message  # the global it names
    assert isinstance(err.value, pickle.UnpicklingError)
    # through mmengine's loader too (Runner load_from / resume)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(TinyModel(), str(path))
    assert not marker.exists()
    # The fixture is real: full unpickling runs its code.
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_trusting_another_file_does_not_trust_this_one(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    forged_run_checkpoint(path, marker)
    other = tmp_path / 'other.pth'
    torch.save({}, other)
    trust_checkpoint(str(other))
    trust_checkpoint(str(tmp_path / 'evil.pth.bak'))
    with pytest.raises(UnsafeCheckpointError, match='--trust-checkpoint'):
        load_checkpoint_file(str(path))
    assert not marker.exists()


@pytest.mark.parametrize('zip_format', [True, False])
def test_trusted_file_is_unpickled_in_full(tmp_path, monkeypatch,
                                           zip_format):
    """A harmless legacy file (a raw numpy array, which weights-only
    loading refuses; torch's current and pre-1.6 formats) loads once named,
    by any spelling of its path."""
    path = tmp_path / 'legacy.pth'
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    torch.save(dict(state_dict={}, mean=array), path,
               _use_new_zipfile_serialization=zip_format)
    with pytest.raises(UnsafeCheckpointError,
                       match='numpy' if zip_format else 'legacy format'):
        load_checkpoint_file(str(path))
    monkeypatch.chdir(tmp_path)
    trust_checkpoint('./legacy.pth')
    loaded = load_checkpoint_file(str(path))
    np.testing.assert_array_equal(loaded['mean'], array)


def test_empty_checkpoint(tmp_path):
    path = tmp_path / 'empty.pth'
    path.write_bytes(b'')
    with pytest.raises(ValueError,
                       match=f'checkpoint {path} is empty \\(0 bytes\\)'):
        load_checkpoint_file(str(path))


@pytest.mark.filterwarnings('ignore:Detected pickle protocol')
@pytest.mark.parametrize('damage', ['truncated', 'text', 'random bytes',
                                    'plain pickle'])
def test_unreadable_checkpoint(tmp_path, run_checkpoint, damage):
    """Damaged or foreign files: no opt-in offered, nothing unpickled."""
    _, source, _ = run_checkpoint
    data = source.read_bytes()
    path = tmp_path / 'damaged.pth'
    path.write_bytes({
        'truncated': data[:len(data) // 2],
        'text': b'this is not a checkpoint\n' * 10,
        'random bytes': np.random.default_rng(0).bytes(1000),
        'plain pickle': pickle.dumps(dict(state_dict={}), protocol=4),
    }[damage])
    with pytest.raises(ValueError) as err:
        load_checkpoint_file(str(path))
    assert not isinstance(err.value, UnsafeCheckpointError)
    assert str(err.value).startswith(
        f'{path} is not a readable torch checkpoint (')
    assert '\n' not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='none.pth does not exist'):
        load_checkpoint_file(str(tmp_path / 'none.pth'))


def save_load(obj, tmp_path):
    """``obj`` encoded, saved, loaded weights-only and decoded."""
    path = tmp_path / 'encoded.pth'
    torch.save(encode_weights_only(obj), path)
    return decode_weights_only(torch.load(path, weights_only=True))


def test_history_buffer_round_trip(tmp_path):
    buffer = HistoryBuffer(max_length=4)
    for value, count in [(0.5, 1), (np.float64(1.25), 2), (3.0, 4),
                         (1e-7, 1), (2.0, 3)]:  # one beyond max_length
        buffer.update(value, count)
    back = save_load(dict(hub=dict(log_scalars=dict(loss=buffer))),
                     tmp_path)['hub']['log_scalars']['loss']
    assert isinstance(back, HistoryBuffer)
    assert back.max_length == 4
    for got, want in zip(back.data, buffer.data):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert back.mean() == buffer.mean() and back.current() == \
        buffer.current()
    back.update(5.0)  # still a working buffer
    assert back.current() == 5.0


def test_numpy_round_trip(tmp_path):
    arrays = dict(
        f32=np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32),
        f64_transposed=np.arange(12.0).reshape(3, 4).T,
        reversed=np.arange(5, dtype=np.int64)[::-1],
        u8=np.array([0, 7, 255], np.uint8),
        flags=np.array([True, False]),
        zero_d=np.array(2.5),
        empty=np.zeros((0, 3), np.int32))
    scalars = dict(f64=np.float64(0.1), f32=np.float32(0.1),
                   i64=np.int64(-3), flag=np.bool_(True))
    back = save_load(dict(arrays=arrays, scalars=scalars,
                          nested=[(np.int32(1), 'x'), None]), tmp_path)
    for name, array in arrays.items():
        got = back['arrays'][name]
        assert isinstance(got, np.ndarray) and got.dtype == array.dtype
        np.testing.assert_array_equal(got, array)
        assert got.shape == array.shape
    for name, scalar in scalars.items():
        got = back['scalars'][name]
        # np.float64 is a float: it must become a plain one, exactly
        assert type(got) in (float, int, bool), name
        assert got == scalar.item()
    assert back['nested'] == [(1, 'x'), None]
    assert type(back['nested'][0]) is tuple


@pytest.mark.parametrize('obj,where', [
    (dict(meta=dict(hook=object())), "checkpoint.meta.hook: a builtins."
     "object"),
    (dict(hub=dict(runtime_info=dict(seq=[1, {1, 2}]))),
     'checkpoint.hub.runtime_info.seq[1]: a builtins.set'),
    (dict(meta=dict(names=np.array([object(), 1], dtype=object))),
     'checkpoint.meta.names: an object array'),
    (dict(meta=dict(names=np.array(['a', 'bc']))),
     'checkpoint.meta.names'),
])
def test_unsupported_object_names_where(obj, where):
    with pytest.raises(TypeError) as err:
        encode_weights_only(obj)
    assert str(err.value).startswith(where), str(err.value)
    assert 'weights-only checkpoint' in str(err.value)


def test_load_model_weights_refuses_a_mismatch(tmp_path):
    model = TinyModel()
    path = tmp_path / 'other.pth'
    torch.save(
        dict(state_dict={
            'module.linear.weight': torch.ones(1, 3),
            'head.fc.bias': torch.ones(62)
        }), path)
    before = model.linear.weight.detach().clone()
    with pytest.raises(ValueError) as err:
        load_model_weights(model, str(path))
    message = str(err.value)
    assert '\n' not in message
    assert message.startswith(f'{path} does not fit the model: ')
    assert '1 keys missing from the checkpoint (e.g. linear.bias)' in message
    assert '1 unexpected keys (e.g. head.fc.bias)' in message
    assert '1 shape mismatches (checkpoint vs model) (e.g. linear.weight ' \
        '(1, 3) vs (1, 2))' in message
    assert '--allow-partial-load' in message
    torch.testing.assert_close(model.linear.weight, before)


def test_load_model_weights_exact_fit(tmp_path):
    model, source = TinyModel(), TinyModel()
    path = tmp_path / 'fits.pth'
    torch.save(dict(state_dict={f'module.{k}': v for k, v in
                                source.state_dict().items()}), path)
    load_model_weights(model, str(path))
    for key, value in source.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)
