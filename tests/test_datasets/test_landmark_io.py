import numpy as np
import pytest

from mmface3d.datasets import format_landmark_line, load_landmark_file


def test_round_trip_and_conventions(tmp_path):
    points = np.array([[1.5, 2.25], [-1, -1], [3, 4]], dtype=np.float32)
    path = tmp_path / 'lm.txt'
    path.write_text('# header line\n\n' +
                    format_landmark_line('a/img1.jpg', points) + '\n' +
                    format_landmark_line('img2.jpg') + '\n' +
                    format_landmark_line('img3.jpg', points[::-1]) + '\n')
    parsed = load_landmark_file(path)
    assert parsed['names'] == ['a/img1.jpg', 'img3.jpg']
    assert parsed['failed'] == ['img2.jpg']
    np.testing.assert_array_equal(parsed['points'][0], points)
    np.testing.assert_array_equal(parsed['points'][1], points[::-1])
    np.testing.assert_array_equal(parsed['visible'],
                                  [[True, False, True], [True, False, True]])
    np.testing.assert_array_equal(parsed['line_numbers'], [3, 5])


@pytest.mark.parametrize('line, message', [
    ('img.jpg,1,2,3', r'bad\.txt, line 3: expected 4 values'),
    ('img.jpg,1,2,x,4', r'bad\.txt, line 3: could not convert'),
    ('img.jpg,1,2,nan,4', r'bad\.txt, line 3: coordinates must be finite'),
    ('first.jpg,5,6,7,8', r'bad\.txt, line 3: image .first\.jpg. is '
     r'already listed on line 1'),
])
def test_bad_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / 'bad.txt'
    path.write_text(f'first.jpg,1,2,3,4\n\n{line}\n')
    with pytest.raises(ValueError, match=message):
        load_landmark_file(path)


def test_expected_point_count(tmp_path):
    path = tmp_path / 'lm.txt'
    path.write_text('a.jpg,1,2,3,4\n')
    with pytest.raises(ValueError, match='line 1: expected 136 values'):
        load_landmark_file(path, num_points=68)
    with pytest.raises(FileNotFoundError):
        load_landmark_file(tmp_path / 'missing.txt')
    with pytest.raises(ValueError, match='comma'):
        format_landmark_line('a,b.jpg')


def test_released_fan_file(data_root):
    path = data_root / 'aflw2000_3d/annotations/fan_landmarks_crop120.txt'
    parsed = load_landmark_file(path, num_points=68)
    names = (data_root /
             'aflw2000_3d/annotations/AFLW2000-3D.list').read_text().split()
    # the two failed lines hold 0-based list indices, at their own line
    assert parsed['failed'] == ['1081', '1798']
    assert len(parsed['names']) == 1998
    expected = [n for i, n in enumerate(names) if i not in (1081, 1798)]
    assert parsed['names'] == expected
    # crop coordinates of a 120x120 crop (a few points fall outside it)
    assert parsed['visible'].all()
    inside = (parsed['points'] >= 0) & (parsed['points'] <= 120)
    assert inside.mean() > 0.99
