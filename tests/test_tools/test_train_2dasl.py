"""tools/train.py on the 300W-LP configs: without 300W-LP one clear line;
on a tiny fixture in the 300W-LP layout every 300W-LP training config runs
2 iterations and trains the terms it says it does.

The fixture is a data root in the release layouts, filled with real
AFLW2000-3D files (the same ``.mat`` fields as 300W-LP): 4 images with their
fits under ``300W_LP/{AFW,HELEN,IBUG,AFW_Flip}`` (landmark files for the
unflipped ones), prepared with ``tools/dataset_converters/prepare_300wlp.py``
as docs/datasets.md says, 4 others as in-the-wild photos with a 68-point
list (the AFLW2000-3D ``pts68``, one eye marked missing) and ``bfm/`` linked
from the real data. The runs shrink the configs from the command line only:
2 iterations (an ``IterBasedTrainLoop``), batch 2 (one 3D and one 2D face
where the config mixes them), no workers, no checkpoint, and no ImageNet
initialisation (nothing is downloaded here)."""
import glob
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io as sio

from mmface3d.datasets import load_landmark_file

TOOL = 'train.py'
ANN = 'aflw2000_3d/annotations'
# (AFLW2000-3D index, subset, name, has a landmarks/ file)
W300LP = [(0, 'AFW', 'AFW_0', True), (1, 'HELEN', 'HELEN_1', True),
          (2, 'IBUG', 'IBUG_2', True), (3, 'AFW_Flip', 'AFW_3', False)]
IN_THE_WILD = [4, 5, 6, 7]

ALL = {'loss_3d', 'loss_2d_con', 'loss_cyc', 'loss_3d_con', 'loss_sc',
       'loss_critic'}
ABLATION = 'configs/2dasl/2dasl_r50_1xb32-50e_300wlp-itw-120x120{}.py'
# config -> the logged terms it trains (the others must be absent)
CONFIGS = {
    'configs/2dasl_r50.py': ALL,
    ABLATION.format(''): ALL,
    ABLATION.format('_base'): {'loss_3d', 'loss_2d_con'},
    ABLATION.format('_cyc'): {'loss_3d', 'loss_2d_con', 'loss_cyc',
                              'loss_3d_con'},
    ABLATION.format('_sc'): {'loss_3d', 'loss_2d_con', 'loss_sc',
                             'loss_critic'},
    ABLATION.format('_nomask'): ALL,
    ABLATION.format('_no3dcon'): ALL - {'loss_3d_con'},
    'configs/2dasl/2dasl_r50-released-recipe_1xb8-50e_300wlp-itw-120x120.py':
    ALL - {'loss_3d_con'},
    'configs/2dasl/2dasl_r50_1xb32-10e_300wlp-120x120_vdc.py': {'loss_3d'},
    'configs/3ddfa/3ddfa_mbv1_1xb512-50e_300wlp-120x120_wpdc.py':
    {'loss_3d'},
    'configs/3ddfa/3ddfa_mbv1_1xb512-10e_300wlp-120x120_vdc.py': {'loss_3d'},
}
SHRINK = [
    'train_cfg._delete_=True', 'train_cfg.type=IterBasedTrainLoop',
    'train_cfg.max_iters=2', 'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'model.backbone.init_cfg=None', 'default_hooks.checkpoint=None',
    'default_hooks.logger.interval=1', 'log_processor.by_epoch=False',
    'load_from=None'
]
# mmengine ends a schedule without `end` at the loop's last epoch, 1 for an
# IterBasedTrainLoop: a schedule that begins later needs an end after it.
EXTRA = {
    'configs/2dasl/2dasl_r50-released-recipe_1xb8-50e_300wlp-itw-120x120.py':
    ['param_scheduler.regressor.0.end=2'],  # ExponentialLR from epoch 1
    'configs/3ddfa/3ddfa_mbv1_1xb512-50e_300wlp-120x120_wpdc.py':
    ['param_scheduler.regressor.1.end=6'],  # MultiStepLR from epoch 5
}


def test_every_300wlp_config_is_listed(repo_root):
    """The parametrisation below covers every training config that reads
    300W-LP (a new ablation must be added to CONFIGS)."""
    on_disk = {
        str(p.relative_to(repo_root))
        for p in repo_root.glob('configs/**/*.py')
        if '300wlp' in p.name
    } | {'configs/2dasl_r50.py'}
    assert on_disk == set(CONFIGS)


@pytest.fixture(scope='module')
def fixture_root(data_root, tmp_path_factory, run_tool):
    """A data root with the tiny 300W-LP and in-the-wild sets."""
    root = tmp_path_factory.mktemp('data')
    names = (data_root / ANN / 'AFLW2000-3D.list').read_text().split()
    pts68 = np.load(data_root / ANN / 'AFLW2000-3D.pts68.npy')
    reannotated = np.load(data_root / ANN /
                          'AFLW2000-3D-Reannotated.pts68.npy')
    images = data_root / 'aflw2000_3d/AFLW2000'
    w300lp = root / '300W_LP'
    for k, subset, stem, landmarks in W300LP:
        (w300lp / subset).mkdir(parents=True, exist_ok=True)
        shutil.copy(images / names[k], w300lp / subset / f'{stem}.jpg')
        mat = sio.loadmat(str(images / names[k].replace('.jpg', '.mat')))
        fields = {n: v for n, v in mat.items() if not n.startswith('__')}
        fields['pt2d'] = pts68[k, :2]  # 300W-LP: (2, 68)
        sio.savemat(str(w300lp / subset / f'{stem}.mat'), fields)
        if landmarks:
            (w300lp / 'landmarks' / subset).mkdir(parents=True)
            sio.savemat(
                str(w300lp / 'landmarks' / subset / f'{stem}_pts.mat'),
                dict(pts_2d=reannotated[k].T, pts_3d=pts68[k, :2].T))
    run_tool('dataset_converters/prepare_300wlp.py', w300lp,
             '--no-progress')
    assert (w300lp / '300wlp_annotations.npz').is_file()

    wild = root / 'in_the_wild'
    (wild / 'images').mkdir(parents=True)
    lines = []
    for k in IN_THE_WILD:
        shutil.copy(images / names[k], wild / 'images' / names[k])
        points = pts68[k, :2].T.copy()
        if k == IN_THE_WILD[1]:
            points[36:42] = -1  # the left eye not annotated
        lines.append(','.join([names[k]] +
                              [f'{v:.3f}' for v in points.reshape(-1)]))
    (wild / 'landmarks_68.txt').write_text('\n'.join(lines) + '\n')
    listed = load_landmark_file(wild / 'landmarks_68.txt')
    assert listed['names'] == [names[k] for k in IN_THE_WILD]
    assert listed['visible'].sum() == 4 * 68 - 6

    (root / 'bfm').symlink_to(data_root / 'bfm', target_is_directory=True)
    return root


def last_iteration(log):
    """{term: value} of the last logged training iteration, and its
    ``[i/n]``."""
    lines = [line for line in log.splitlines() if 'Iter(train) [' in line]
    assert lines, log[-3000:]
    terms = {
        k: float(v)
        for k, v in re.findall(r'\b(loss\w*|critic_\w+): (\S+)', lines[-1])
    }
    return terms, re.search(r'Iter\(train\) \[\s*(\d+/\d+)\]',
                            lines[-1]).group(1)


@pytest.mark.e2e
@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_config_trains_two_iterations(run_tool, fixture_root, tmp_path,
                                      config):
    work_dir = tmp_path / 'work'
    result = run_tool(
        TOOL, config, '--work-dir', work_dir, '--cfg-options', *SHRINK,
        *EXTRA.get(config, []),
        env=dict(MMFACE3D_DATA=fixture_root, MMFACE3D_DEBUG='1'))
    log = result.stdout + result.stderr
    terms, count = last_iteration(log)
    assert count == '2/2', log[-3000:]
    # the config trains the terms it says, all finite
    trained = {k for k in terms if k not in ('loss', 'critic_real',
                                             'critic_fake')}
    assert trained == CONFIGS[config], log[-2000:]
    assert all(np.isfinite(v) for v in terms.values()), terms
    if 'loss_critic' in trained:
        assert 0 < terms['critic_real'] < 1 and 0 < terms['critic_fake'] < 1
    assert not list(work_dir.glob('*.pth'))


def test_without_300wlp_one_line(run_tool, readme_env, repo_root, tmp_path):
    """The README's data root has no 300W-LP: one line, exit 1, no
    traceback; it names the missing cache, docs/datasets.md and configs
    that train without 300W-LP (which exist)."""
    result = run_tool(TOOL, 'configs/2dasl_r50.py', '--work-dir',
                      tmp_path / 'work',
                      env=dict(readme_env, MMFACE3D_DEBUG=None),
                      check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert 'Traceback' not in out
    errors = [line for line in out.splitlines() if 'error' in line.lower()]
    assert len(errors) == 1, out[-3000:]
    line = errors[0]
    assert result.stderr.strip().splitlines()[-1] == line
    missing = re.match(r'train\.py: error: 300W-LP: (\S+) does not exist',
                       line)
    assert missing, line
    assert Path(missing.group(1)).resolve() == (
        repo_root / readme_env['MMFACE3D_DATA'] / '300W_LP' /
        '300wlp_annotations.npz').resolve()
    assert 'docs/datasets.md' in line
    named = re.findall(r'configs/[\w./*-]+\.py|configs/[\w./*-]+\*', line)
    assert any('quickstart' in c for c in named), line
    for pattern in named:
        assert glob.glob(str(repo_root / pattern)), \
            f'{pattern} (named in the error) matches no config'


# --------------------------------------------------------------- quickstart
QUICKSTART = 'configs/2dasl/2dasl_mbv1-0.5_quickstart_synthetic-120x120.py'
QUICK_TERMS = ['loss_3d', 'loss_2d_con', 'loss_cyc', 'loss_3d_con',
               'loss_sc', 'loss_critic', 'critic_real', 'critic_fake']


def hook_index(config, hook_type):
    from mmengine.config import Config
    hooks = Config.fromfile(config).custom_hooks
    (index, ) = [i for i, h in enumerate(hooks) if h['type'] == hook_type]
    return index


@pytest.mark.e2e
def test_quickstart_writes_tensorboard_events(run_tool, readme_env,
                                              repo_root, tmp_path):
    """4 iterations, a validation every 2, batch 4 of 8 + 8 synthetic
    faces: TensorBoard gets every loss term and both learning rates at each
    iteration, the validation NME at its iterations and the landmark grid
    (2 x 2 crops of 120 pixels)."""
    from tensorboard.backend.event_processing import event_accumulator
    cache = tmp_path / 'cache'
    grid = hook_index(repo_root / QUICKSTART, 'LandmarkGridHook')
    work_dir = tmp_path / 'work'
    run_tool(
        TOOL, QUICKSTART, '--work-dir', work_dir, '--cfg-options',
        'train_cfg.max_iters=4', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'train_dataloader.dataset.datasets.0.length=8',
        'train_dataloader.dataset.datasets.1.length=8',
        f'train_dataloader.dataset.datasets.0.cache_dir={cache}',
        f'train_dataloader.dataset.datasets.1.cache_dir={cache}',
        'val_dataloader.batch_size=4', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'val_dataloader.dataset.length=8',
        f'val_dataloader.dataset.cache_dir={cache}',
        'default_hooks.logger.interval=1', f'custom_hooks.{grid}.interval=2',
        env=readme_env)
    (vis_data, ) = work_dir.glob('*/vis_data')
    assert list(vis_data.glob('events.out.tfevents.*'))
    events = event_accumulator.EventAccumulator(
        str(vis_data),
        size_guidance={event_accumulator.SCALARS: 0,
                       event_accumulator.IMAGES: 0})
    events.Reload()
    tags = events.Tags()

    def steps(tag):
        return [e.step for e in events.Scalars(tag)]

    for tag in QUICK_TERMS + ['loss', 'regressor.lr', 'critic.lr']:
        assert tag in tags['scalars'], sorted(tags['scalars'])
        assert steps(tag) == [1, 2, 3, 4], tag
        assert all(np.isfinite(e.value) for e in events.Scalars(tag))
    # the config's learning rates: Adam 1e-3 with a cosine decay over 800
    # iterations for the regressor, a fixed 1e-4 for the critic
    regressor = [e.value for e in events.Scalars('regressor.lr')]
    assert regressor[0] == pytest.approx(1e-3, rel=1e-4)
    assert regressor == sorted(regressor, reverse=True)
    assert all(e.value == pytest.approx(1e-4)
               for e in events.Scalars('critic.lr'))
    for e in events.Scalars('critic_real') + events.Scalars('critic_fake'):
        assert 0 < e.value < 1
    # validations at iterations 2 and 4
    assert steps('synthetic/nme_68_2d_all') == [2, 4]
    images = events.Images('train_landmarks')
    assert [i.step for i in images] == [2, 4]
    assert all((i.width, i.height) == (240, 240) for i in images)
    assert sorted(p.name for p in vis_data.glob('vis_image/*.png')) == \
        ['train_landmarks_2.png', 'train_landmarks_4.png']


# ------------------------------------------------------------ kill / resume
RESUME_CONFIG = """
_base_ = ['{repo}/configs/_base_/default_runtime.py']
model = dict(
    type='TwoDASL',
    data_preprocessor=dict(type='Face3DDataPreprocessor', num_channels=4),
    backbone=dict(type='MobileNetV1', widen_factor=0.25, in_channels=4),
    head=dict(type='ParamRegressionHead', in_channels=256, num_params=62,
              morphable_model=dict(type='MorphableModel')),
    critic=dict(type='MLPCritic', hidden=(16, 16),
                encoder=dict(type='ConvEncoder', channels=(4, 8, 8))))
pipeline = [
    dict(type='FaceCrop', crop_size=120),
    dict(type='LandmarkMap', key='landmarks_2d_input'),
    dict(type='NormalizeFace'),
    dict(type='PackFace3DInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MixedBatchSampler', ratio_3d=0.5),
    dataset=dict(
        type='MixedFaceDataset',
        datasets=[
            dict(type='SyntheticFaceDataset', split='3d', length=4, seed=0,
                 cache_dir='{cache}', pipeline=pipeline),
            dict(type='SyntheticFaceDataset', split='2d', length=6, seed=0,
                 cache_dir='{cache}', pipeline=pipeline),
        ]))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000)
optim_wrapper = dict(
    constructor='TwoDASLOptimWrapperConstructor',
    regressor=dict(type='OptimWrapper',
                   optimizer=dict(type='SGD', lr=1e-3, momentum=0.9)),
    critic=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))
param_scheduler = dict(
    regressor=[dict(type='ExponentialLR', gamma=0.9, by_epoch=False,
                    end=1000)],  # the same whatever max_iters
    critic=[])
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
"""


def checkpoint_tensors(obj, where=''):
    """{location: tensor} of every tensor in a loaded checkpoint part."""
    import torch
    if isinstance(obj, torch.Tensor):
        return {where: obj}
    found = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            found.update(checkpoint_tensors(value, f'{where}.{key}'))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            found.update(checkpoint_tensors(value, f'{where}[{i}]'))
    return found


@pytest.mark.e2e
def test_killed_2dasl_run_resumes_exactly(start_tool, run_tool, readme_env,
                                          repo_root, tmp_path):
    """SIGKILL after a checkpoint, then ``--resume``: the regressor, the
    critic, both optimisers' states and the schedule equal those of an
    uninterrupted run of the same length (CPU, same seed, num_workers=0).

    Every checkpoint here ends a pass over the 3D faces (4 faces, 2 a
    batch: a new DataLoader iterator at iterations 3, 5, ...), the case in
    which the DataLoader's draw from torch's global RNG fell between the
    checkpoint and the restore until RngStateHook gave the loaders their
    own generator; WPDC's vertex resampling reads that RNG."""
    import signal
    import time

    from mmface3d.utils.checkpoint import load_checkpoint_file

    config = tmp_path / 'tiny_2dasl.py'
    config.write_text(
        RESUME_CONFIG.format(repo=repo_root, cache=tmp_path / 'cache'))
    work_dir = tmp_path / 'work'

    proc = start_tool(TOOL, config, '--work-dir', work_dir, env=readme_env)
    deadline = time.time() + 300
    while not (work_dir / 'last_checkpoint').exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() < deadline, 'no checkpoint within 300 s'
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    last = Path((work_dir / 'last_checkpoint').read_text().strip())
    done = int(re.fullmatch(r'iter_(\d+)\.pth', last.name).group(1))
    total = done + 2

    proc = start_tool(TOOL, config, '--work-dir', work_dir, '--resume',
                      '--cfg-options', f'train_cfg.max_iters={total}',
                      env=readme_env)
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log[-3000:]
    assert f'resumed epoch: 0, iter: {done}' in log
    assert 'loss_critic' in log

    reference = tmp_path / 'uninterrupted'
    run_tool(TOOL, config, '--work-dir', reference, '--cfg-options',
             f'train_cfg.max_iters={total}', env=readme_env)
    resumed = load_checkpoint_file(str(work_dir / f'iter_{total}.pth'))
    straight = load_checkpoint_file(str(reference / f'iter_{total}.pth'))
    assert set(straight['optimizer']) == {'regressor', 'critic'}
    for part in ('state_dict', 'optimizer'):
        a = checkpoint_tensors(resumed[part], part)
        b = checkpoint_tensors(straight[part], part)
        assert a.keys() == b.keys() and a
        for key, value in b.items():
            assert (a[key].double() - value.double()).abs().max() <= 1e-6, \
                key
    assert resumed['param_schedulers'] == straight['param_schedulers']
    assert resumed['optimizer']['critic']['state'], 'the critic stepped'
    # both parts moved in the iterations after the kill
    before = load_checkpoint_file(str(reference / f'iter_{done}.pth'))
    for prefix in ('backbone.', 'head.', 'critic.'):
        moved = max((value.double() -
                     before['state_dict'][key].double()).abs().max().item()
                    for key, value in straight['state_dict'].items()
                    if key.startswith(prefix) and value.is_floating_point())
        assert moved > 1e-6, prefix
