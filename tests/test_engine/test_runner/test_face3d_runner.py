"""Face3DRunner: mmengine's start-up dumps go to the log file; the console
gets one line naming it."""
import logging
from pathlib import Path

import pytest
from mmengine.config import Config

from mmface3d.engine.runner import Face3DRunner
from mmface3d.registry import RUNNERS

REPO = Path(__file__).resolve().parents[3]
# the tiny model of tests/test_tools/test_train_script.py, on the default
# runtime (which selects Face3DRunner)
CONFIG = """
_base_ = ['{repo}/configs/_base_/default_runtime.py']
model = dict(
    type='Face3DRegressor',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=3),
    backbone=dict(type='MobileNetV1', widen_factor=0.25),
    head=dict(type='ParamRegressionHead', in_channels=256))
"""
DUMPS = ('System environment:', 'Runtime environment:', 'Config:',
         'Hooks will be executed in the following order:',
         "type='ParamRegressionHead'", 'ProgressBarHook')


@pytest.fixture
def build_runner(tmp_path, data_root):
    """Builds the runner in the test itself: its console handler binds the
    sys.stdout of that moment (pytest's capture of the test call)."""
    runners = []

    def build():
        config = tmp_path / 'tiny_runner.py'
        config.write_text(CONFIG.format(repo=REPO))
        cfg = Config.fromfile(str(config))
        cfg.work_dir = str(tmp_path / 'work')
        # a name of its own: mmengine keys its logger by name
        cfg.experiment_name = f'face3d_runner_{tmp_path.name}'
        cfg.visualizer.name = f'visualizer_{tmp_path.name}'
        runners.append(RUNNERS.build(cfg))
        return runners[-1]

    yield build
    for runner in runners:
        for handler in list(runner.logger.handlers):
            handler.close()
            runner.logger.removeHandler(handler)


def test_console_names_the_log_file(build_runner, capsys):
    runner = build_runner()
    assert type(runner) is Face3DRunner
    runner.logger.info('first result')
    out = capsys.readouterr().out
    log_file = Path(runner.log_dir) / f'{runner.timestamp}.log'
    assert log_file.is_file()
    pointer = [line for line in out.splitlines()
               if 'environment, config and hooks: see' in line]
    assert len(pointer) == 1, out
    assert pointer[0].endswith(f'see {log_file}')
    for dump in DUMPS:
        assert dump not in out, dump
    # other records still reach the console
    assert 'first result' in out
    assert len(out.splitlines()) < 20, out

    for handler in runner.logger.handlers:
        handler.flush()
    text = log_file.read_text()
    for dump in DUMPS:
        assert dump in text, dump
    assert 'first result' in text
    # the file keeps each record as logged (no pointer in place of a dump)
    assert 'environment, config and hooks: see' not in text


def test_filter_only_on_the_console_and_once(build_runner):
    runner = build_runner()
    with pytest.warns(UserWarning, match='has been created'):
        # mmengine hands back the run's logger (by name)
        assert runner.build_logger() is runner.logger
    consoles = [h for h in runner.logger.handlers
                if type(h) is logging.StreamHandler]
    assert consoles
    for handler in consoles:
        assert sum(type(f).__name__ == '_FileOnly'
                   for f in handler.filters) == 1
    files = [h for h in runner.logger.handlers
             if isinstance(h, logging.FileHandler)]
    assert len(files) == 1
    assert not any(type(f).__name__ == '_FileOnly' for f in files[0].filters)
