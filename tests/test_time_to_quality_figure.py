"""benchmarks/time_to_quality_figure.py: configurations and minutes read from the rows' names and times, a shipped
model's validation.json joins the table (quality_ablation --from-validation) and the figure, rows from before moved-edit
identity are left out, and bad input is a clear error."""
import csv, importlib.util, json
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip('matplotlib')
spec = importlib.util.spec_from_file_location('ttq_figure', ROOT/'benchmarks'/'time_to_quality_figure.py')
fig = importlib.util.module_from_spec(spec); spec.loader.exec_module(fig)
spec = importlib.util.spec_from_file_location('quality_ablation', ROOT/'benchmarks'/'quality_ablation.py')
qa = importlib.util.module_from_spec(spec); spec.loader.exec_module(qa)

IV = dict(spearman=[0.6, 0.7], target_mae=[9, 11], retention_moved=[0.8, 0.9], psnr=[22, 23])

def _table(path, rows):
    cols = ('name', 'edit', 'gain', 'split', 'spearman', 'target_mae', 'identity_moved', 'psnr', 'train_seconds', 'intervals')
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, cols); w.writeheader(); w.writerows(rows)

def _row(name, secs, gain, rho, split='val', moved='0.85'):
    return dict(name=name, edit='residual', gain=gain, split=split, spearman=rho, target_mae=10, identity_moved=moved, psnr=22.5,
                train_seconds=secs, intervals=json.dumps(IV))

def test_rows_configs_and_minutes(tmp_path):
    other = {**_row('a-15min', 900, 2, 0.6), 'edit': 'extrapolate'}
    _table(tmp_path/'t.csv', [_row('a-15min', 900, 1.5, 0.7), _row('a-30min', 1800, 1.5, 0.75), _row('b-15min', 910, 1.75, 0.72),
                              _row('old', 300, 2, 0.5, moved=''), _row('a-15min', 900, 1.5, 0.9, split='test'), other,
                              _row('untimed-15min', '', 1.5, 0.7), {**_row('noiv-15min', 900, 1.5, 0.7), 'intervals': 'null'}])
    rows = fig.rows_from_table(tmp_path/'t.csv')                        # test split, no moved identity, no time, no intervals: left out
    assert [(r['config'], round(r['minutes']), r['spearman']) for r in rows] == [('a', 15, 0.7), ('a', 30, 0.75), ('b', 15, 0.72),
                                                                                  ('a (extrapolate)', 15, 0.6)]

def test_validation_json_and_figure(tmp_path):
    _table(tmp_path/'t.csv', [_row('a-15min', 900, 1.5, 0.7)])
    m = tmp_path/'model'; m.mkdir()
    cand = dict(spearman=0.8, target_mae=8.5, identity=0.9, identity_moved=0.86, psnr=24.1, intervals=IV, split='val', n_faces=300,
                edit=dict(kind='residual', gain=1.25))
    (m/'validation.json').write_text(json.dumps(dict(candidates={'1.25': cand, '1.5': {**cand, 'spearman': 0.83}})))
    (m/'train_seconds.json').write_text(json.dumps(dict(seconds=3480)))
    for row in qa.validation_rows('shipped-58min', m/'validation.json'): qa.write_row(tmp_path/'t.csv', row)
    rows = [r for r in fig.rows_from_table(tmp_path/'t.csv') if r['config'] == 'shipped']
    assert sorted((r['gain'], r['spearman'], round(r['minutes'])) for r in rows) == [(1.25, 0.8, 58), (1.5, 0.83, 58)]
    fig.draw(fig.rows_from_table(tmp_path/'t.csv'), tmp_path/'out'/'ttq.png')
    assert (tmp_path/'out'/'ttq.png').stat().st_size > 10_000

def test_bad_input(tmp_path, monkeypatch):
    _table(tmp_path/'t.csv', [_row('a-15min', 900, 1.5, 0.7)])
    with pytest.raises(SystemExit, match='must both exist'): qa.validation_rows('x', tmp_path/'missing.json')
    with pytest.raises(SystemExit, match="--edits 'residul:2'"): qa.parse_edits('decode,residul:2')
    assert qa.parse_edits('none') == [] and qa.parse_edits('decode,residual:1.5') == [('decode', 1.0, 'decode'), ('residual', 1.5, 'residual1.5')]
    monkeypatch.setattr('sys.argv', ['x', '--table', str(tmp_path/'t.csv'), '--only', 'nope', '--out', str(tmp_path/'f.png')])
    with pytest.raises(SystemExit, match='no validation rows'): fig.main()
    (tmp_path/'m').mkdir(); (tmp_path/'m'/'validation.json').write_text('{"candidates": {}}')
    with pytest.raises(SystemExit, match='train_seconds.json.*must both exist'): qa.validation_rows('x', tmp_path/'m'/'validation.json')
    assert not (tmp_path/'f.png').exists()
