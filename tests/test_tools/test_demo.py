"""tools/demo/image_demo.py, video_demo.py and
tools/deployment/export_onnx.py run as a user runs them, on AFLW2000-3D
images with the converted 3DDFA_V2 model."""
import json

import cv2
import numpy as np
import pytest

CONFIG = 'configs/3ddfa_v2/3ddfa-v2_mbv1-0.5_120x120.py'
ANN = 'aflw2000_3d/annotations'


def image_path(data_root, name='image00002.jpg'):
    return data_root / 'aflw2000_3d/AFLW2000' / name


def test_image_demo_writes_every_output(run_tool, converted_3ddfa_v2,
                                        readme_env, data_root, tmp_path):
    out = tmp_path / 'out'
    run_tool('demo/image_demo.py', image_path(data_root), '--config',
             CONFIG, '--checkpoint', converted_3ddfa_v2, '--out-dir', out,
             '--outputs', 'landmarks', 'pose', 'dense', 'mesh', 'depth',
             'pncc', 'obj', 'ply', 'json', env=readme_env)
    stem = 'image00002'
    for name in ('landmarks', 'pose', 'dense', 'mesh', 'depth', 'pncc'):
        drawing = cv2.imread(str(out / f'{stem}_{name}.png'))
        assert drawing.shape == (450, 450, 3), name
    assert (out / f'{stem}_face0.obj').stat().st_size > 1e6
    assert (out / f'{stem}_face0.ply').stat().st_size > 1e5
    record = json.loads((out / f'{stem}.json').read_text())
    yaw = np.load(data_root / ANN / 'AFLW2000-3D.pose.npy')[0]
    assert len(record['faces']) == 1
    assert abs(record['faces'][0]['pose']['yaw'] - yaw) <= 10
    assert len(record['faces'][0]['landmarks_2d']) == 68


def test_image_demo_folder_no_face_and_layouts(run_tool, converted_3ddfa_v2,
                                               readme_env, data_root,
                                               tmp_path):
    folder = tmp_path / 'photos'
    (folder / 'sub').mkdir(parents=True)
    bgr = cv2.imread(str(image_path(data_root)))
    cv2.imwrite(str(folder / 'sub' / 'gray.png'),
                cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(folder / 'deep.png'), bgr.astype(np.uint16) * 257)
    cv2.imwrite(str(folder / 'rgba.png'),
                np.concatenate([bgr, np.full_like(bgr[..., :1], 255)], 2))
    cv2.imwrite(str(folder / 'blank.jpg'), np.full((200, 300, 3), 80,
                                                   np.uint8))
    out = tmp_path / 'out'
    result = run_tool('demo/image_demo.py', folder, '--config', CONFIG,
                      '--checkpoint', converted_3ddfa_v2, '--out-dir', out,
                      '--outputs', 'landmarks', 'json', env=readme_env)
    assert '3 faces in 4 images' in result.stdout
    assert 'blank.jpg: no face found' in result.stdout + result.stderr
    assert json.loads((out / 'blank.json').read_text())['faces'] == []
    assert not (out / 'blank_landmarks.png').exists()
    yaws = [json.loads((out / f'{stem}.json').read_text())['faces'][0]
            ['pose']['yaw'] for stem in ('sub/gray', 'deep', 'rgba')]
    assert (out / 'sub' / 'gray_landmarks.png').is_file()
    assert abs(yaws[1] - yaws[2]) < 1e-6 and abs(yaws[0] - yaws[1]) < 5


def test_image_demo_missing_input(run_tool, converted_3ddfa_v2, readme_env,
                                  tmp_path):
    result = run_tool('demo/image_demo.py', tmp_path / 'nothing.jpg',
                      '--config', CONFIG, '--checkpoint',
                      converted_3ddfa_v2, '--out-dir', tmp_path / 'out',
                      env=readme_env, check=False)
    assert result.returncode == 1
    assert 'no such image or folder' in result.stderr


def test_video_demo(run_tool, converted_3ddfa_v2, readme_env, data_root,
                    tmp_path):
    bgr = cv2.imread(str(image_path(data_root)))
    video = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'),
                             10, (360, 360))
    for i in range(5):
        writer.write(np.ascontiguousarray(bgr[40 + 4 * i:400 + 4 * i,
                                              40:400]))
    writer.release()
    out = tmp_path / 'out'
    result = run_tool('demo/video_demo.py', video, '--config', CONFIG,
                      '--checkpoint', converted_3ddfa_v2, '--out-dir', out,
                      '--outputs', 'landmarks', 'json', 'obj',
                      '--mesh-every', '3', '--smooth', 'one_euro',
                      env=readme_env)
    assert '5 frames, 5 faces' in result.stdout
    records = [json.loads(line) for line in
               (out / 'clip.jsonl').read_text().splitlines()]
    assert [r['frame'] for r in records] == list(range(5))
    capture = cv2.VideoCapture(str(out / 'clip_landmarks.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    capture.release()
    assert sorted(p.name for p in out.glob('*.obj')) == [
        'clip_000000_face0.obj', 'clip_000003_face0.obj'
    ]
    # the face moves up 4 px a frame in the clip: its nose follows
    noses = [r['faces'][0]['landmarks_2d'][30][1] for r in records]
    assert noses[0] > noses[-1]


def test_export_onnx(run_tool, converted_3ddfa_v2, readme_env, tmp_path):
    pytest.importorskip('onnxruntime')
    out = tmp_path / 'mb05.onnx'
    result = run_tool('deployment/export_onnx.py', CONFIG,
                      converted_3ddfa_v2, out, '--check', '3',
                      env=readme_env)
    assert out.stat().st_size > 1e6
    difference = float(result.stdout.split('max |difference|')[1].split()[0])
    assert difference < 1e-4


@pytest.mark.e2e
def test_large_photo_memory(run_tool, peak_memory_prefix, converted_3ddfa_v2,
                            readme_env, data_root, tmp_path):
    """A 4000x3000 photo in under 2 GB (peak resident memory of the demo
    process, read by its parent), with the shaded mesh rendered over the
    full photo (tools/analysis_tools/benchmark_inference.py measures every
    output)."""
    bgr = cv2.imread(str(image_path(data_root)))
    photo = tmp_path / 'big.jpg'
    cv2.imwrite(str(photo), cv2.resize(bgr, (4000, 3000)))
    result = run_tool(
        'demo/image_demo.py', photo, '--config', CONFIG, '--checkpoint',
        converted_3ddfa_v2, '--out-dir', tmp_path / 'out', '--outputs',
        'landmarks', 'mesh', 'obj', 'json', env=readme_env,
        prefix=peak_memory_prefix)
    peak_kib = int(result.stdout.split()[-1])
    assert peak_kib < 2 * 1024**2, f'{peak_kib / 1024:.0f} MiB'
    assert cv2.imread(str(tmp_path / 'out' / 'big_mesh.png')).shape == \
        (3000, 4000, 3)
