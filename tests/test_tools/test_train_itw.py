"""tools/train.py on the in-the-wild 2DASL configs (AFLW faces with manual
21-point labels and a teacher's pseudo-labels): every config enables
exactly the terms it says it trains; the full, control and 3-channel
configs run 2 iterations and a validation from their starting checkpoints
and log exactly those terms; the 4-channel start predicts what the
3-channel teacher does.

The fixture is the tiny data root of conftest's ``itw_labelled`` (the
first real aflw_itw faces, laid out as the real set), prepared as the
configs' comments say: pseudo-labels by
``tools/dataset_converters/make_pseudo_labels.py`` with the converted
3DDFA_V2 as teacher, the 4-channel start by
``tools/model_converters/widen_input_channels.py``. The runs shrink the
configs from the command line only: 2 iterations (an
``IterBasedTrainLoop``), batch 2 (one face of each stream), faces 2-5 for
training and 0-1 for the validation after iteration 2, no workers, no
checkpoint, and the fixture's pseudo-labels and start for the ``work_dirs``
files the configs name."""
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from itw_helpers import ROWS

TOOL = 'train.py'
TRAIN_ROWS = [2, 3, 4, 5]
VAL_ROWS = [0, 1]

CONFIG = 'configs/2dasl/2dasl_mbv1-0.5-3ddfa-v2_1xb32-1e_aflw-itw-120x120{}.py'
MAIN = CONFIG.format('')
ALL = {'loss_3d', 'loss_2d_con', 'loss_cyc', 'loss_3d_con', 'loss_sc',
       'loss_critic'}
# config -> the logged terms it trains (the others must be absent), as the
# configs' comments say
CONFIGS = {
    MAIN: ALL,
    CONFIG.format('_control'): {'loss_3d'},
    CONFIG.format('_2dcon'): {'loss_3d', 'loss_2d_con'},
    CONFIG.format('_cyc'): {'loss_3d', 'loss_2d_con', 'loss_cyc',
                            'loss_3d_con'},
    CONFIG.format('_sc'): {'loss_3d', 'loss_2d_con', 'loss_sc',
                           'loss_critic'},
    CONFIG.format('_3ch'): {'loss_3d', 'loss_2d_con', 'loss_sc',
                            'loss_critic'},
    CONFIG.format('_synthetic3d'): ALL,
    CONFIG.format('_pseudo-synthetic3d'): ALL,
}
# the 3-channel variant starts from the converted model itself
THREE_CHANNELS = {CONFIG.format('_3ch')}
# trained for 2 iterations (one of each kind: all terms, the 3D stream
# alone, no map channel, rendered faces as the 3D stream (every iteration
# has one), pseudo-labels and rendered faces together); the others'
# settings are checked against the same term list
SYNTHETIC_3D = CONFIG.format('_synthetic3d')
BOTH_3D = CONFIG.format('_pseudo-synthetic3d')
RUN = [
    MAIN, CONFIG.format('_control'), CONFIG.format('_3ch'), SYNTHETIC_3D,
    BOTH_3D
]
# the model setting behind each logged term
SETTING = {
    'loss_3d': 'loss_3d',
    'loss_2d_con': 'loss_2d',
    'loss_cyc': 'loss_cycle',
    'loss_3d_con': 'loss_3d_con',
    'loss_sc': 'loss_adv',
    'loss_critic': 'critic',
}
SHRINK = [
    'train_cfg._delete_=True', 'train_cfg.type=IterBasedTrainLoop',
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.batch_size=2', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'default_hooks.checkpoint=None', 'default_hooks.logger.interval=1',
    'log_processor.by_epoch=False',
    f'train_dataloader.dataset.datasets.0.indices={TRAIN_ROWS}',
    f'train_dataloader.dataset.datasets.1.indices={TRAIN_ROWS}',
    f'val_dataloader.dataset.indices={VAL_ROWS}'
]


def shrink_options(config, pseudo):
    """The ``--cfg-options`` that shrink ``config`` (:data:`SHRINK`) and
    point its pseudo-label sets at the fixture's ``pseudo``: the rendered
    faces (6, none cached) are member 0 of the `_synthetic3d` training set,
    member 1 of `_pseudo-synthetic3d`'s, whose 2D stream is member 2."""
    options = SHRINK + [f'val_dataloader.dataset.pseudo_params={pseudo}']
    rendered = {SYNTHETIC_3D: 0, BOTH_3D: 1}.get(config)
    if rendered is not None:
        options += [
            f'train_dataloader.dataset.datasets.{rendered}.length=6',
            f'train_dataloader.dataset.datasets.{rendered}.cache_dir=None'
        ]
    if config == BOTH_3D:
        options.append(
            f'train_dataloader.dataset.datasets.2.indices={TRAIN_ROWS}')
    if rendered != 0:
        options.append(
            f'train_dataloader.dataset.datasets.0.pseudo_params={pseudo}')
    return options


def test_every_itw_config_is_listed(repo_root):
    """The parametrisation below covers every AFLW in-the-wild config."""
    on_disk = {
        str(p.relative_to(repo_root))
        for p in repo_root.glob('configs/**/*.py') if 'aflw-itw' in p.name
    }
    assert on_disk == set(CONFIGS)


@pytest.fixture(scope='module')
def itw(itw_labelled, converted_3ddfa_v2, run_tool, tmp_path_factory):
    """The tiny data root (``root``), its pseudo-labels (``pseudo``), the
    3-channel (``start_3ch``) and widened 4-channel (``start_4ch``)
    starts."""
    root, pseudo = itw_labelled['root'], itw_labelled['pseudo']
    start_4ch = tmp_path_factory.mktemp('itw_start') / '3ddfa_v2_mb05_4ch.pth'
    run_tool('model_converters/widen_input_channels.py', converted_3ddfa_v2,
             start_4ch)
    return SimpleNamespace(root=root, pseudo=pseudo,
                           start_3ch=converted_3ddfa_v2, start_4ch=start_4ch)


def logged_iterations(log, phase='train'):
    """[{name: value}] of the logged ``Iter(<phase>)`` lines with values."""
    found = []
    for line in log.splitlines():
        if f'Iter({phase}) [' not in line:
            continue
        values = {
            k: float(v)
            for k, v in re.findall(r'([\w/.-]+): (-?[\d.]+(?:e[-+]\d+)?|nan)',
                                   line)
        }
        if values:
            found.append(values)
    return found


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_config_sets_its_terms(repo_root, config):
    """Each config's model enables exactly the settings of the terms it
    claims (a term without weight or module is not computed)."""
    from mmengine.config import Config
    model = Config.fromfile(repo_root / config).model
    enabled = {
        term
        for term, key in SETTING.items() if model.get(key) is not None
        and model[key].get('loss_weight', 1.0) > 0
    }
    assert enabled == CONFIGS[config]


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_2d_stream_in_the_model_pixels(repo_root, config):
    """Every AFLW set of a config (training, validation) moves its 1-based
    points into the 0-based pixels of the model's convention, and its flip
    mirrors about that frame's axis: no term teaches the model a pixel
    convention (docs/model_zoo.md, the pixel convention)."""
    from mmengine.config import Config

    from mmface3d.morphable import pixel_origin
    cfg = Config.fromfile(repo_root / config)
    origin = pixel_origin(cfg.model.head.morphable_model.convention)
    assert origin == 0.0
    members = cfg.train_dataloader.dataset.datasets + [
        cfg.val_dataloader.dataset
    ]
    aflw = [m for m in members if m.type == 'AFLW21Dataset']
    assert len(aflw) >= 2, 'the 2D stream and the validation split'
    for member in aflw:
        assert member.pixel_origin == origin
        for step in member.pipeline:
            if step.type == 'RandomFlip':
                assert step.pixel_origin == origin


@pytest.mark.e2e
@pytest.mark.parametrize('config', RUN)
def test_config_trains_two_iterations(run_tool, repo_root, itw, tmp_path,
                                      config):
    from mmengine.config import Config
    start = itw.start_3ch if config in THREE_CHANNELS else itw.start_4ch
    work_dir = tmp_path / 'work'
    result = run_tool(
        TOOL, config, '--work-dir', work_dir, '--cfg-options',
        *shrink_options(config, itw.pseudo), f'load_from={start}',
        env=dict(MMFACE3D_DATA=itw.root, MMFACE3D_DEBUG='1'))
    log = result.stdout + result.stderr

    # the start was loaded, all of it: only the critic, which it lacks,
    # keeps its initial weights
    assert f'Load checkpoint from {start}' in log, log[-3000:]
    assert 'size mismatch' not in log and 'unexpected key' not in log
    missing = re.findall(r'missing keys in source state_dict: (.*)', log)
    assert all(key.startswith('critic.') for line in missing
               for key in line.split(', ')), missing

    train = logged_iterations(log)
    assert len(train) == 2, log[-3000:]
    # the config trains the terms it says, all finite
    for terms in train:
        trained = {k for k in terms if k.startswith('loss_')}
        assert trained == CONFIGS[config], log[-2000:]
        assert all(np.isfinite(terms[k]) for k in trained | {'loss'}), terms
        if 'loss_critic' in trained:
            assert 0 < terms['critic_real'] < 1
            assert 0 < terms['critic_fake'] < 1
    if 'loss_cyc' in CONFIGS[config]:
        # at iteration 1 the landmark-map channel has zero filters: the
        # cycle pass (a new map, the same crop) predicts what the first
        # pass did (the two 2D terms have the same weight here)
        cfg = Config.fromfile(repo_root / config)
        assert cfg.model.loss_cycle == cfg.model.loss_2d
        assert train[0]['loss_cyc'] == train[0]['loss_2d_con'], train[0]
        assert train[0]['loss_3d_con'] == 0, train[0]

    # one validation on faces 0-1, with the metric the best checkpoint
    # is chosen by
    (val, ) = [
        values for values in logged_iterations(log, 'val')
        if any('/' in k for k in values)  # the metrics, not the timings
    ]
    best = Config.fromfile(repo_root / config).default_hooks.checkpoint
    assert best.save_best in val, sorted(val)
    assert np.isfinite(val[best.save_best])
    assert np.isfinite(val['teacher_val/nme_68_2d_all'])
    assert not list(work_dir.glob('*.pth'))


def test_widened_start_predicts_what_the_teacher_does(itw, repo_root):
    """The main config's model from the widened checkpoint, on the
    validation pipeline's crops with their landmark maps, puts the 68
    landmarks where the 3-channel teacher's pseudo-labels do; the
    checkpoint is the teacher's with zero filters added on channel 4."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from mmface3d.registry import DATASETS, MODELS
    from mmface3d.utils.checkpoint import load_checkpoint_file

    teacher = load_checkpoint_file(str(itw.start_3ch), map_location='cpu')
    teacher = teacher.get('state_dict', teacher)
    widened = load_checkpoint_file(str(itw.start_4ch), map_location='cpu')
    widened = widened.get('state_dict', widened)
    assert widened.keys() == teacher.keys()
    conv1 = widened['backbone.conv1.weight']
    assert conv1.shape[1] == 4
    assert torch.equal(conv1[:, :3], teacher['backbone.conv1.weight'])
    assert not conv1[:, 3].any()
    for key in teacher:
        if key != 'backbone.conv1.weight':
            assert torch.equal(widened[key], teacher[key]), key

    cfg = Config.fromfile(repo_root / MAIN)
    init_default_scope('mmface3d')
    model = MODELS.build(cfg.model)
    missing, unexpected = model.load_state_dict(widened, strict=False)
    assert not unexpected and missing
    assert all(key.startswith('critic.') for key in missing), missing
    model.eval()
    dataset = DATASETS.build(
        dict(cfg.val_dataloader.dataset, data_root=str(itw.root),
             pseudo_params=str(itw.pseudo), indices=list(range(ROWS))))
    batch = pseudo_collate([dataset[i] for i in range(ROWS)])
    # every crop carries a landmark map on channel 4
    assert all(inputs.shape[0] == 4 and inputs[3].any()
               for inputs in batch['inputs'])
    with torch.no_grad():
        samples = model.test_step(batch)
        teacher_params = torch.from_numpy(np.load(itw.pseudo))
        ids = [s.metainfo['img_id'] for s in samples]
        assert sorted(ids) == list(range(ROWS))
        expected = model.morphable_model.landmarks(teacher_params[ids])
    predicted = torch.stack([s.pred_landmarks for s in samples])
    error = (predicted[..., :2] - expected[:, :2].transpose(1, 2)).abs()
    assert error.max() < 1e-2, error.amax((1, 2))
