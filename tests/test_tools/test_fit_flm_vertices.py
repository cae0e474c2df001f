"""tools/analysis_tools/fit_flm_vertices.py run as docs/datasets.md says, on
the pseudo-labels ``make_pseudo_labels.py`` makes with the converted
3DDFA_V2 for 8 real aflw_itw faces (the tiny data root of
test_make_pseudo_labels.py), rows 2-7 as the fitting split. The errors it
reports are recomputed here by brute force over every vertex of the raw
no-neck BFM (REFERENCE.md section 2)."""
import json
import pickle

import numpy as np
import pytest
from itw_helpers import MAP_POINTS, MAP_ROWS, ROWS, manual_points

TOOL = 'analysis_tools/fit_flm_vertices.py'
SPLIT_START = 2


@pytest.fixture(scope='module')
def fitted(itw_labelled, run_tool, tmp_path_factory):
    """The tiny root (``root``) and its ``env``, the pseudo-labels
    (``pseudo``, ``labels``), the tool's JSON (``out``) and stdout."""
    out = tmp_path_factory.mktemp('fit') / 'flm_vertices.json'
    result = run_tool(TOOL, itw_labelled['pseudo'], '--split-start',
                      SPLIT_START, '--out', out, env=itw_labelled['env'])
    return dict(itw_labelled, out=json.loads(out.read_text()),
                stdout=result.stdout)


@pytest.fixture(scope='module')
def noneck(data_root):
    """The raw no-neck BFM: ``u`` (3N,), ``w`` (3N, 50) float64 and the 68
    landmark vertex ids ``keypoints`` (68,)."""
    with open(data_root / 'bfm/bfm_noneck_v3.pkl', 'rb') as f:
        bfm = pickle.load(f)
    return dict(
        u=bfm['u'][:, 0].astype(np.float64),
        w=np.concatenate([bfm['w_shp'], bfm['w_exp']], 1).astype(np.float64),
        keypoints=bfm['keypoints'][::3] // 3)


def project_all(noneck, params):
    """(B, 62) v2 crop params -> (B, N, 2) every vertex in the crop:
    ``P[:, :3] @ S + P[:, 3]``, then ``x - 1``, ``120 - y``."""
    params = params.astype(np.float64)
    shape = (noneck['u'][:, None] + noneck['w'] @ params[:, 12:].T).T
    shape = shape.reshape(len(params), -1, 3)
    camera = params[:, :12].reshape(-1, 3, 4)
    points = shape @ camera[:, :, :3].transpose(0, 2, 1) + \
        camera[:, None, :, 3]
    return np.stack([points[..., 0] - 1, 120 - points[..., 1]], 2)


def test_writes_18_vertex_pairs(data_root, fitted, noneck):
    """The JSON holds 18 pairs of vertex ids of 3DDFA_V2's no-neck BFM
    (38365 vertices, REFERENCE.md section 1) and says which faces it fitted:
    the list rows from ``--split-start`` on."""
    num_vertices = len(noneck['u']) // 3
    assert num_vertices == 38365 == len(np.load(data_root /
                                                'bfm/indices.npy'))
    pairs = fitted['out']['flm_vertex_ids']
    assert len(pairs) == 18
    for pair in pairs:
        assert len(pair) == 2
        assert all(isinstance(v, int) and 0 <= v < num_vertices
                   for v in pair)
    assert fitted['out']['faces'] == ROWS - SPLIT_START
    assert fitted['out']['split_start'] == SPLIT_START
    assert f'{ROWS - SPLIT_START} training faces (list rows >= ' \
        f'{SPLIT_START})' in fitted['stdout']


def test_errors_recomputed_by_brute_force(fitted, noneck):
    """On the fitting rows, per map point, the mean over the faces where
    the manual point is visible of its distance to a vertex (or a pair's
    midpoint) over sqrt(w * h) of the face's 68-landmark box: the reported
    vertex error is the least over all vertices, the reported definition
    error that of the 68-point definition (REFERENCE.md section 4), and the
    chosen pair is never worse than the definition."""
    rows = slice(SPLIT_START, ROWS)
    vertices = project_all(noneck, fitted['labels'][rows])  # (F, N, 2)
    landmarks = vertices[:, noneck['keypoints']]
    size = np.sqrt(np.prod(landmarks.max(1) - landmarks.min(1), 1))
    # in the teacher's 0-based pixels: the v2 projection above
    crop, visible = manual_points(fitted['root'], pixel_origin=0.0)
    manual = crop[rows][:, MAP_POINTS]  # (F, 18, 2)
    shown = visible[rows][:, MAP_POINTS]
    assert shown.any(0).all(), 'every map point is seen on some face'

    def mean_error(points):
        """(F, 18, K, 2) candidates -> (18, K) mean normalised error."""
        dist = np.linalg.norm(points - manual[:, :, None], axis=3)
        dist = dist / size[:, None, None] * shown[..., None]
        return dist.sum(0) / shown.sum(0)[:, None]

    every = mean_error(np.broadcast_to(
        vertices[:, None], (len(size), 18) + vertices.shape[1:]))
    definition = np.stack(
        [landmarks[:, list(r)].mean(1) for r in MAP_ROWS], 1)
    definition = mean_error(definition[:, :, None])[:, 0]
    pairs = np.array(fitted['out']['flm_vertex_ids'])
    chosen = mean_error(vertices[:, pairs].mean(2)[:, :, None])[:, 0]

    np.testing.assert_allclose(
        fitted['out']['mean_error'], every.min(1), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(
        fitted['out']['flm_definition_error'], definition, rtol=1e-3,
        atol=1e-6)
    assert (chosen <= definition + 1e-6).all()
    np.testing.assert_allclose(
        chosen, np.minimum(every.min(1), definition), rtol=1e-3, atol=1e-6)
    assert chosen.mean() <= definition.mean()


def test_refuses_a_map_point_never_annotated(fitted, run_tool, tmp_path):
    """Fitting on the last face alone, whose manual points miss some map
    points: no vertex can be fitted to those (0 / 0 faces), so the tool
    stops with exit status 1 and one error line naming them, and writes no
    JSON (it wrote vertex 0 with a NaN error)."""
    _, visible = manual_points(fitted['root'])
    unseen = np.flatnonzero(~visible[ROWS - 1:, MAP_POINTS].any(0)).tolist()
    assert unseen, 'the last face misses a map point'
    out = tmp_path / 'flm.json'
    result = run_tool(TOOL, fitted['pseudo'], '--split-start', ROWS - 1,
                      '--out', out, env=fitted['env'], check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f'fit_flm_vertices.py: error: map points {unseen} are ' \
        'annotated on none of the 1 faces' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not out.exists()
