"""tools/dataset_converters: prepare_300wlp.py on a 300W-LP-layout folder
(real AFLW2000-3D images and fits as stand-ins) through to W300LPDataset,
and detect_landmarks.py with FAN's network stubbed."""
import shutil
from pathlib import Path

import cv2
import face_alignment
import numpy as np
import pytest
import scipy.io as sio
import torch

from mmface3d.datasets import InTheWildDataset, W300LPDataset
from mmface3d.morphable import MorphableModel


@pytest.fixture(scope='module')
def prepare_300wlp(load_tool):
    return load_tool('dataset_converters/prepare_300wlp.py')


@pytest.fixture(scope='module')
def detect_landmarks(load_tool):
    return load_tool('dataset_converters/detect_landmarks.py')


@pytest.fixture(scope='module')
def aflw(data_root):
    ann = data_root / 'aflw2000_3d/annotations'
    return dict(
        img_dir=data_root / 'aflw2000_3d/AFLW2000',
        names=(ann / 'AFLW2000-3D.list').read_text().split()[:6],
        pts68=np.load(ann / 'AFLW2000-3D.pts68.npy')[:6],
        re=np.load(ann / 'AFLW2000-3D-Reannotated.pts68.npy')[:6],
        boxes=np.load(ann / 'AFLW2000-3D_crop.roi_box.npy')[:6])


def write_sample(root, aflw, k, subset, stem, landmarks=True):
    """Sample k of AFLW2000-3D as ``subset/stem`` in the 300W-LP formats."""
    src = aflw['img_dir'] / aflw['names'][k]
    (root / subset).mkdir(parents=True, exist_ok=True)
    shutil.copy(src, root / subset / f'{stem}.jpg')
    mat = sio.loadmat(str(src.with_suffix('.mat')))
    fields = {k: v for k, v in mat.items() if not k.startswith('__')}
    fields['pt2d'] = aflw['pts68'][k, :2]  # 300W-LP: (2, 68)
    sio.savemat(str(root / subset / f'{stem}.mat'), fields)
    if landmarks:
        (root / 'landmarks' / subset).mkdir(parents=True, exist_ok=True)
        sio.savemat(
            str(root / 'landmarks' / subset / f'{stem}_pts.mat'),
            dict(pts_2d=aflw['re'][k].T, pts_3d=aflw['pts68'][k, :2].T))


@pytest.fixture
def w300lp(tmp_path, aflw):
    root = tmp_path / '300W_LP'
    for k in range(3):
        write_sample(root, aflw, k, 'AFW', f'AFW_{k}')
    write_sample(root, aflw, 3, 'AFW_Flip', 'AFW_0', landmarks=False)
    # broken files, each to be reported and left out
    write_sample(root, aflw, 4, 'HELEN', 'HELEN_broken')
    (root / 'HELEN/HELEN_broken.mat').write_bytes(b'not a mat file')
    write_sample(root, aflw, 4, 'HELEN', 'HELEN_nojpg')
    (root / 'HELEN/HELEN_nojpg.jpg').unlink()
    write_sample(root, aflw, 5, 'IBUG', 'IBUG_badlm')
    sio.savemat(
        str(root / 'landmarks/IBUG/IBUG_badlm_pts.mat'),
        dict(pts_2d=np.zeros((21, 2)), pts_3d=np.zeros((21, 2))))
    return root


def test_prepare_300wlp(prepare_300wlp, w300lp, aflw):
    out = w300lp / prepare_300wlp.CACHE_NAME
    num, skipped = prepare_300wlp.prepare(w300lp, out, progress=False)
    assert num == 4
    reasons = dict(skipped)
    assert set(reasons) == {
        'HELEN/HELEN_broken', 'HELEN/HELEN_nojpg', 'IBUG/IBUG_badlm'
    }
    assert 'not a readable .mat' in reasons['HELEN/HELEN_broken']
    assert 'No such file' in reasons['HELEN/HELEN_nojpg']
    assert '`pts_2d` has shape (21, 2)' in reasons['IBUG/IBUG_badlm']
    report = out.with_suffix('.skipped.txt').read_text().splitlines()
    assert sorted(line.split('\t')[0] for line in report) == sorted(reasons)

    with np.load(out) as cache:
        assert list(cache['names']) == [
            'AFW/AFW_0.jpg', 'AFW/AFW_1.jpg', 'AFW/AFW_2.jpg',
            'AFW_Flip/AFW_0.jpg'
        ]
        np.testing.assert_array_equal(cache['img_size'], [[450, 450]] * 4)
        np.testing.assert_array_equal(cache['landmark_file'],
                                      [True, True, True, False])
        mat = sio.loadmat(str(aflw['img_dir'] / 'image00004.mat'))
        np.testing.assert_allclose(cache['pose_para'][1],
                                   mat['Pose_Para'].reshape(-1))
        np.testing.assert_allclose(
            cache['shape_para'][1], mat['Shape_Para'][:40, 0], rtol=1e-6)
        np.testing.assert_allclose(
            cache['exp_para'][1], mat['Exp_Para'][:10, 0], rtol=1e-6)
        np.testing.assert_allclose(cache['pts_3d'][:3],
                                   aflw['pts68'][:3, :2].transpose(0, 2, 1))
        np.testing.assert_allclose(cache['pts_2d'][:3],
                                   aflw['re'][:3].transpose(0, 2, 1))
        # no landmark file: both from the fit's pt2d
        np.testing.assert_allclose(cache['pts_2d'][3], aflw['pts68'][3, :2].T)
        np.testing.assert_allclose(cache['pts_3d'][3], aflw['pts68'][3, :2].T)


def test_cache_feeds_the_dataset(prepare_300wlp, w300lp, aflw):
    prepare_300wlp.prepare(
        w300lp, w300lp / prepare_300wlp.CACHE_NAME, progress=False)
    dataset = W300LPDataset(data_root=str(w300lp.parent))
    assert len(dataset) == 4
    infos = [dataset.get_data_info(i) for i in range(4)]
    assert infos[3]['img_path'] == str(w300lp / 'AFW_Flip/AFW_0.jpg')
    boxes = np.stack([i['roi_box'] for i in infos])
    np.testing.assert_array_equal(boxes, aflw['boxes'][:4])
    # image-frame params: the model projects them onto the image's pixels
    assert {i['params_convention'] for i in infos} == {'v1'}
    params = torch.from_numpy(np.stack([i['gt_params_img'] for i in infos]))
    pred = MorphableModel().landmarks(params)[:, :2]
    gt = aflw['pts68'][:4, :2]
    size = np.sqrt(np.prod(gt.max(2) - gt.min(2), axis=1))
    nme = np.linalg.norm(pred.numpy() - gt, axis=1).mean(1) / size
    assert nme.mean() < 0.012


def test_prepare_300wlp_cli(prepare_300wlp, w300lp, tmp_path, capsys):
    out = tmp_path / 'afw.npz'
    assert prepare_300wlp.main(
        [str(w300lp), '--subsets', 'AFW', '--out',
         str(out), '--no-progress']) == 0
    assert 'wrote 3 samples' in capsys.readouterr().out
    assert not out.with_suffix('.skipped.txt').exists()
    assert prepare_300wlp.main([str(tmp_path / 'nowhere')]) == 1
    with pytest.raises(FileNotFoundError, match='LFPW'):
        prepare_300wlp.prepare(w300lp, out, subsets=['LFPW'])
    with pytest.raises(ValueError, match='.npz'):
        prepare_300wlp.prepare(w300lp, tmp_path / 'cache.pkl')


class FakeFAN:
    """Stands in for face_alignment.FaceAlignment (whose weights cannot be
    downloaded here): answers from a table keyed by the red-channel sum of
    the RGB image it receives."""
    answers = {}
    calls = []
    init_args = None

    def __init__(self, landmarks_type, **kwargs):
        FakeFAN.init_args = (landmarks_type, kwargs)

    def get_landmarks_from_image(self, image, return_bboxes=False):
        assert return_bboxes and image.dtype == np.uint8
        key = int(image[..., 0].astype(np.int64).sum())
        FakeFAN.calls.append(key)
        return FakeFAN.answers[key]


def red_sum(path):
    return int(cv2.imread(str(path))[..., 2].astype(np.int64).sum())


@pytest.fixture
def images(tmp_path, aflw, monkeypatch):
    img_dir = tmp_path / 'imgs'
    (img_dir / 'sub').mkdir(parents=True)
    files = ['a.jpg', 'b.jpg', 'sub/c.jpg', 'd.jpg']
    for k, name in enumerate(files):
        shutil.copy(aflw['img_dir'] / aflw['names'][k], img_dir / name)
    (img_dir / 'notes.txt').write_text('not an image')
    (img_dir / 'broken.jpg').write_bytes(b'garbage')
    gt = aflw['pts68'][:, :2].transpose(0, 2, 1)
    small = np.full((68, 2), 5.0)
    answers = {
        # two faces: the larger detection box wins
        red_sum(img_dir / 'a.jpg'):
        ([small, gt[0]], None,
         [np.array([0, 0, 10, 10, 0.9]),
          np.array([50, 50, 400, 400, 0.99])]),
        red_sum(img_dir / 'b.jpg'):
        ([gt[1]], None, [np.array([60, 60, 390, 390, 0.99])]),
        red_sum(img_dir / 'sub/c.jpg'): (None, None, None),
        red_sum(img_dir / 'd.jpg'):
        ([gt[3]], None, [np.array([1, 1, 300, 300, 0.9])]),
    }
    monkeypatch.setattr(FakeFAN, 'answers', answers)
    monkeypatch.setattr(FakeFAN, 'calls', [])
    monkeypatch.setattr(face_alignment, 'FaceAlignment', FakeFAN)
    return dict(dir=img_dir, gt=gt)


def test_detect_landmarks(detect_landmarks, images, tmp_path, capsys):
    out = tmp_path / 'out/landmarks.txt'
    assert detect_landmarks.main(
        [str(images['dir']), str(out), '--no-progress']) == 0
    assert FakeFAN.init_args[0] == face_alignment.LandmarksType.TWO_D
    assert FakeFAN.init_args[1]['device'] == 'cpu'
    assert len(FakeFAN.calls) == 4  # broken.jpg cannot be decoded
    assert '3 faces written, 1 images without a face, 1 unreadable' in \
        capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert lines[0].startswith('#') and 'sub/c.jpg' in lines

    dataset = InTheWildDataset(
        ann_file=str(out), data_prefix=dict(img_path=str(images['dir'])))
    assert dataset.failed == ['sub/c.jpg'] and len(dataset) == 3
    by_name = {
        Path(dataset.get_data_info(i)['img_path']).name:
        dataset.get_data_info(i)['landmarks_2d_input']
        for i in range(3)
    }
    for name, k in (('a.jpg', 0), ('b.jpg', 1), ('d.jpg', 3)):
        np.testing.assert_allclose(by_name[name], images['gt'][k], atol=1e-3)


def test_detect_landmarks_resumes(detect_landmarks, images, tmp_path):
    out = tmp_path / 'landmarks.txt'
    aligner = face_alignment.FaceAlignment(None)
    (images['dir'] / 'd.jpg').rename(tmp_path / 'd.jpg')
    counts = detect_landmarks.detect_folder(
        images['dir'], out, aligner, progress=False)
    assert counts == dict(
        images=4, done_before=0, detected=2, no_face=1, unreadable=1)
    # a new image and an interrupted line: only they are (re)done
    shutil.move(tmp_path / 'd.jpg', images['dir'] / 'd.jpg')
    with open(out, 'a') as f:
        f.write('d.jpg,1.0,2.0')
    FakeFAN.calls.clear()
    counts = detect_landmarks.detect_folder(
        images['dir'], out, aligner, progress=False)
    assert counts == dict(
        images=5, done_before=3, detected=1, no_face=0, unreadable=1)
    assert FakeFAN.calls == [red_sum(images['dir'] / 'd.jpg')]
    lines = [
        line for line in out.read_text().splitlines()
        if line.startswith('d.jpg')
    ]
    assert len(lines) == 1 and len(lines[0].split(',')) == 137
    assert out.read_text().count('#') == 1
