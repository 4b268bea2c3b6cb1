"Notebook plumbing: papermill parameters survive cleaning, and the exploration report runs under papermill."
import json, os
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
