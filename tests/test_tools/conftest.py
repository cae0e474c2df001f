"""Helpers of the tool tests: the checkout, the tools imported as modules,
and the tools run as a user runs them (a subprocess of this interpreter
with its own working directory and environment).

Fixtures:

- ``repo_root``: the checkout (``tools/``, ``configs/`` live there);
- ``load_tool``: ``load_tool('misc/browse_dataset.py')`` imports a tool
  (once per session) to call its functions in-process;
- ``tool``: the tool named by the test module's ``TOOL`` constant;
- ``run_tool``: ``run_tool('test.py', *args, cwd=..., env=...)`` runs
  ``tools/test.py`` to completion and fails the test with its output if it
  exits non-zero (``check=False`` returns the result instead);
- ``start_tool``: the same, started in the background (``Popen``), killed
  if still running when the test ends;
- ``readme_env``: the environment of the README's set-up, a data root
  relative to the checkout (``MMFACE3D_DATA=../shared/data``);
- ``stub_timer``: ``stub_timer(module, [0.5, ...])`` replaces the
  ``median_time`` of a benchmark tool by a fake clock: each timed call runs
  once for real and takes the next of the given durations;
- ``converted_3ddfa_v2``: the released 3DDFA_V2 weights converted as the
  README does, once per session;
- ``itw_labelled``: a tiny in-the-wild data root (:mod:`itw_helpers`) and
  its pseudo-labels by ``make_pseudo_labels.py``, once per session.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import numpy as np
import pytest
from itw_helpers import TEACHER, make_itw_root, relative_env

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tools'
_MODULES = {}

PathLike = Union[str, Path]

# ``prefix`` of run_tool: runs the command it is given, then prints the peak
# resident memory of that process (KiB) as the last word of its stdout and
# exits with the command's status
PEAK_MEMORY = (sys.executable, '-c',
               'import resource, subprocess, sys; '
               'code = subprocess.run(sys.argv[1:]).returncode; '
               'print(resource.getrusage(resource.RUSAGE_CHILDREN)'
               '.ru_maxrss); '
               'sys.exit(code)')


def tool_path(name: str) -> Path:
    """``tools/<name>``, checked to exist."""
    path = TOOLS / name
    assert path.is_file(), f'no tool {path}'
    return path


def import_tool(name: str):
    """``tools/<name>`` imported as a module, once per session."""
    path = tool_path(name)
    if path not in _MODULES:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[path] = module
    return _MODULES[path]


def tool_env(env: Optional[Dict[str, Optional[str]]] = None) -> dict:
    """This process's environment with ``env`` applied (None unsets)."""
    out = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = str(value)
    return out


def tool_command(name: str, args) -> list:
    return [sys.executable, str(tool_path(name))] + [str(a) for a in args]


def _tail(text: str, lines: int = 40) -> str:
    return '\n'.join((text or '').splitlines()[-lines:])


def run_tool_process(name: str,
                     *args: PathLike,
                     cwd: PathLike = REPO,
                     env: Optional[Dict[str, Optional[str]]] = None,
                     check: bool = True,
                     timeout: float = 600,
                     prefix: Sequence[str] = ()
                     ) -> subprocess.CompletedProcess:
    """Run ``python tools/<name> *args`` in ``cwd`` and wait for it.

    Args:
        name (str): The tool, relative to ``tools/``.
        *args: Its command line.
        cwd (str | Path): Working directory. Defaults to the checkout.
        env (dict, optional): Variables to set (None: unset) on top of this
            process's environment. Defaults to None.
        check (bool): Fail the test, showing the tool's output, when it
            exits non-zero. Defaults to True.
        timeout (float): Seconds before it is killed. Defaults to 600.
        prefix (Sequence[str]): A command the tool's command line is handed
            to (e.g. :data:`PEAK_MEMORY`). Defaults to ().

    Returns:
        subprocess.CompletedProcess: With text ``stdout`` / ``stderr``.
    """
    command = list(prefix) + tool_command(name, args)
    result = subprocess.run(
        command, cwd=str(cwd), env=tool_env(env), capture_output=True,
        text=True, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(
            f'{" ".join(command)} (cwd {cwd}) exited with '
            f'{result.returncode}\n--- stdout\n{_tail(result.stdout)}\n'
            f'--- stderr\n{_tail(result.stderr)}', pytrace=False)
    return result


def start_tool_process(name: str,
                       *args: PathLike,
                       cwd: PathLike = REPO,
                       env: Optional[Dict[str, Optional[str]]] = None
                       ) -> subprocess.Popen:
    """Start ``python tools/<name> *args`` in ``cwd``; stdout and stderr
    go, as text, to the returned process's ``stdout``."""
    return subprocess.Popen(
        tool_command(name, args), cwd=str(cwd), env=tool_env(env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


class FakeTimer:
    """Stands in for :func:`mmface3d.utils.median_time`: calls ``fn`` once
    (after ``setup``), keeps what it returned in ``results`` and reports
    the next of ``durations`` (seconds) as the median."""

    def __init__(self, durations):
        self.durations = list(durations)
        self.results = []

    def __call__(self, fn, repeats, warmup=0, device=None, setup=None):
        assert repeats >= 1 and warmup >= 0
        args = () if setup is None else (setup(), )
        self.results.append(fn(*args))
        assert self.durations, 'more timed calls than durations given'
        return self.durations.pop(0)


@pytest.fixture
def stub_timer(monkeypatch):
    """``stub_timer(tool_module, durations)`` -> the :class:`FakeTimer`
    now answering the module's ``median_time`` calls."""

    def stub(module, durations):
        timer = FakeTimer(durations)
        monkeypatch.setattr(module, 'median_time', timer)
        return timer

    return stub


@pytest.fixture(scope='session')
def repo_root() -> Path:
    """The checkout the tests run from."""
    return REPO


@pytest.fixture(scope='session')
def load_tool():
    """``load_tool('analysis_tools/plot_edc.py')``: the tool as a module."""
    return import_tool


@pytest.fixture(scope='module')
def tool(request):
    """The tool of the module's ``TOOL`` (a path relative to ``tools/``)."""
    return import_tool(request.module.TOOL)


@pytest.fixture(scope='session')
def run_tool():
    """``run_tool(name, *args, cwd=repo, env=None, check=True, prefix=())``,
    see :func:`run_tool_process`."""
    return run_tool_process


@pytest.fixture(scope='session')
def peak_memory_prefix():
    """The ``prefix`` of ``run_tool`` that reports the tool's peak resident
    memory (KiB) as the last word of its stdout."""
    return PEAK_MEMORY


@pytest.fixture
def start_tool():
    """``start_tool(name, *args, cwd=repo, env=None)`` -> ``Popen``; a
    process still running when the test ends is killed."""
    started = []

    def start(*args, **kwargs):
        started.append(start_tool_process(*args, **kwargs))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture(scope='session')
def readme_env(data_root) -> dict:
    """``MMFACE3D_DATA`` as the README sets it: the data root relative to
    the checkout (``../shared/data``), for tools run with cwd = checkout."""
    relative = os.path.relpath(data_root, REPO)
    assert not os.path.isabs(relative)
    return {'MMFACE3D_DATA': relative}


@pytest.fixture(scope='session')
def converted_3ddfa_v2(readme_env, tmp_path_factory) -> Path:
    """``weights/3ddfa_v2_mb05_120x120.pth`` converted by the README's
    command (source given relative to the checkout, as
    ``$MMFACE3D_DATA/weights/...``)."""
    out = tmp_path_factory.mktemp('converted') / '3ddfa_v2_mb05.pth'
    source = Path(readme_env['MMFACE3D_DATA'], 'weights',
                  '3ddfa_v2_mb05_120x120.pth')
    run_tool_process('model_converters/tddfa_v2_to_mmface3d.py', source,
                     out, env=readme_env)
    assert out.is_file()
    return out


@pytest.fixture(scope='session')
def itw_labelled(data_root, readme_env, converted_3ddfa_v2,
                 tmp_path_factory) -> dict:
    """A data root (``root``) with the first real aflw_itw faces (``names``)
    and ``bfm/`` linked, the README's environment pointing at it relative
    to the checkout (``env``), and the pseudo-labels the converted 3DDFA_V2
    gives them through ``make_pseudo_labels.py`` (``pseudo`` file,
    ``labels`` array, the tool's ``stdout``)."""
    root = tmp_path_factory.mktemp('itw_data')
    names = make_itw_root(root, data_root)
    env = relative_env(readme_env, REPO, root)
    pseudo = tmp_path_factory.mktemp('itw_labels') / 'pseudo.npy'
    result = run_tool_process('dataset_converters/make_pseudo_labels.py',
                              TEACHER, converted_3ddfa_v2, pseudo, env=env)
    return dict(root=root, names=names, env=env, pseudo=pseudo,
                labels=np.load(pseudo), stdout=result.stdout)
