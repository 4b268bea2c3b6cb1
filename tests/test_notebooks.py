"Notebook plumbing: papermill parameters survive cleaning, and the exploration report runs under papermill."
import json
from pathlib import Path
import pytest

NBS = Path(__file__).resolve().parents[1]/'nbs'

def test_parameters_tag_kept():
    nb = json.loads((NBS/'06_explore.ipynb').read_text())
    assert any('parameters' in c['metadata'].get('tags', []) for c in nb['cells']), 'papermill parameters cell lost its tag'

def test_explore_runs_under_papermill(tmp_path):
    pm = pytest.importorskip('papermill')
    out = tmp_path/'figs'
    pm.execute_notebook(str(NBS/'06_explore.ipynb'), str(tmp_path/'run.ipynb'), cwd=str(NBS), kernel_name='python3', progress_bar=False,
                        parameters=dict(dataset='synthetic', cache=str(tmp_path/'cache'), size=32, out_dir=str(out)))
    names = sorted(p.name for p in out.glob('*.png'))
    assert names == ['age_by_gender.png', 'age_histogram.png', 'balancing_weights.png', 'faces_by_decade.png'], names
    report = json.loads((tmp_path/'cache'/'report.json').read_text())
    assert report['dataset'] == 'synthetic' and report['size'] == 32     # the parameters were used, not the defaults

def _code_cells(p): return [c for c in json.loads(p.read_text())['cells'] if c['cell_type'] == 'code']

@pytest.mark.parametrize('nb', sorted(p.name for p in NBS.glob('*.ipynb') if '00' < p.name[:2] <= '14'))
def test_notebook_shows_its_method(nb):
    "Notebooks 01–14 each commit at least one rendered output (scripts/render_outputs.py), only in cells tagged `show`, and under 200 KB."
    cells = _code_cells(NBS/nb)
    shown = [c for c in cells if c.get('outputs')]
    assert shown, f'{nb}: no rendered output; tag a cell `show` and run python scripts/render_outputs.py nbs/{nb}'
    stray = [c['id'] for c in shown if 'show' not in c['metadata'].get('tags', [])]
    assert not stray, f'{nb}: outputs in untagged cells {stray} (only `show` cells keep outputs)'
    text = json.dumps([o for c in shown for o in c['outputs'] if o.get('output_type') == 'stream' or 'image/png' not in o.get('data', {})])
    leaks = [p for p in ('/tmp/', '/work/', '/home/', '/root/') if p in text]
    assert not leaks, f'{nb}: a committed output shows a machine path ({leaks}): show relative names instead'
    size = sum(len(json.dumps(c['outputs'])) for c in shown)
    assert size < 200_000, f'{nb}: {size:,} bytes of outputs'

def test_cells_are_short():
    "The notebooks' rhythm: a median of at most 6 lines per code cell, and no cell over 40 lines but papermill's parameters."
    import statistics
    cells = [c for p in NBS.glob('*.ipynb') for c in _code_cells(p)]
    sizes = [len(''.join(c['source']).splitlines()) for c in cells]
    assert statistics.median(sizes) <= 6, statistics.median(sizes)
    long = [(c['id'], n) for c, n in zip(cells, sizes) if n > 40 and 'parameters' not in c['metadata'].get('tags', [])]
    assert not long, long

def _cell_stats():
    import importlib.util
    spec = importlib.util.spec_from_file_location('cell_stats', NBS.parent/'scripts'/'cell_stats.py')
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m

def test_line_discipline():
    "The package's lines: at most 1 % over 120 characters, at most 10 `;` joins, at most 5 functions over 6 parameters."
    s = _cell_stats().code_stats(NBS.parent/'agevae')
    assert s['code_lines'] > 1000, s                                      # the package was read
    assert s['share_over_120_pct'] <= 1.0, s
    assert s['semicolon_joins'] <= 10, s
    assert s['functions_over_6_params'] <= 5, s['those_functions']

def test_line_discipline_counts(tmp_path):
    "The yardstick counts what it says: a long line, two joins, one function of 7 parameters, comments and _modidx apart."
    (tmp_path/'m.py').write_text('x = 1; y = 2; z = 3\n# ' + 'c' * 130 + '\ns = "' + 's' * 130 + '"\n'
                                 'def f(a, b, c, d, e, g, h): pass\ndef m(self, a, b, c, d, e, g): pass\n'
                                 'def k(cls, *a, **kw): pass\n')
    (tmp_path/'_modidx.py').write_text('q = 1; r = 2\n')
    s = _cell_stats().code_stats(tmp_path)
    assert (s['code_lines'], s['lines_over_120'], s['semicolon_joins'], s['functions_over_6_params']) == (5, 1, 2, 1), s
    assert s['those_functions'] == ['m.f: 7'], s                           # self and cls apart
