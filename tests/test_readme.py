"""README numbers come from committed results files: every table that holds measurements is rendered from one, and matches it;
so do the tables of nbs/21_benchmarks.ipynb, where every measurement the README leaves out lives. The README opens with the result."""
import csv, importlib.util, io, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('readme', ROOT/'scripts'/'readme.py')
readme = importlib.util.module_from_spec(spec); spec.loader.exec_module(readme)
TEXT = (ROOT/'README.md').read_text()
NOTEBOOKS = [ROOT/nb for nb in readme.TABLE_NOTEBOOKS]
# Every document whose tables are rendered: the README, and each markdown cell of the notebooks that hold their tables.
DOCS = [('README.md', TEXT)] + [(f'{nb.name} cell {i}', md) for nb in NOTEBOOKS for i, md in enumerate(readme.notebook_markdown(nb))]

def tables(md:str) -> list:
    "Each markdown table in `md` as its block of lines, with the line just above it."
    out, lines = [], md.split('\n')
    i = 0
    while i < len(lines):
        if lines[i].startswith('|'):
            j = i
            while j < len(lines) and lines[j].startswith('|'): j += 1
            out.append((lines[i - 1] if i else '', '\n'.join(lines[i:j]))); i = j
        else: i += 1
    return out

def test_readme_is_rendered_from_the_notebook_and_results():
    assert readme.render(ROOT/'nbs'/'index.ipynb') == TEXT, 'README.md is out of step: run python scripts/readme.py'

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_tables_are_rendered_from_results(nb):
    "The tables kept in the notebook's markdown cells are the ones its results files give now, and the file is as nbdev-clean writes it."
    assert readme.render_tables(nb) == nb.read_text(), f'{nb.name} is out of step: run python scripts/readme.py'

def test_every_table_of_numbers_comes_from_a_results_file():
    assert readme.MARKER.findall(TEXT), 'the README renders no table from a results file'
    for nb in NOTEBOOKS: assert readme.MARKER.findall('\n'.join(readme.notebook_markdown(nb))), f'{nb.name} renders no table from a results file'
    for doc, text in DOCS:
        for above, block in tables(text):
            rows = block.split('\n')[2:]
            numeric = any(re.search(r'\d', c) for r in rows for c in r.split('|')[2:])   # any number beyond the first column
            if not numeric or above == '<!-- not results -->': continue               # a table of facts, not measurements, says so
            m = readme.MARKER.match(above)
            assert m, f'a table of numbers is typed into {doc} by hand:\n{block[:300]}'
            assert readme.table(m.group('path')) == block, f"{doc}: table under {above} differs from {m.group('path')}"

def test_readme_opens_with_the_result():
    "The first 60 lines: the tagline, a picture of an aged photo, the shipped model's table, the set-up commands and the three commands."
    head = TEXT.split('\n')[:60]
    lines = [l.strip() for l in head]
    assert any(l.startswith('> ') for l in lines[:6]), 'no tagline at the top'
    pic = next(i for i, l in enumerate(lines) if l.startswith('!['))
    table = lines.index('<!-- table: figures/utkface/shipped_64.json -->')
    assert pic < table, 'the picture comes first, then the shipped model\'s table'
    for cmd in ('bash scripts/main.sh', 'bash scripts/test.sh', 'agevae shift --image', 'agevae train ', 'agevae evaluate '):
        assert any(l.startswith(cmd) for l in lines[table:]), f'{cmd!r} is not among the first 60 lines, after the table'
    assert TEXT.index('## Quick start') < TEXT.index('### Words, each with one meaning'), 'the glossary comes after the quick start'

def _links(text): return re.findall(r'!?\[[^\]]*\]\(([^)\s]+)\)', text)

@pytest.mark.parametrize('doc', ['README.md', 'CONTRIBUTING.md', *readme.TABLE_NOTEBOOKS])
def test_links_and_pictures_exist(doc):
    "Every relative link and picture of the README, CONTRIBUTING.md and the benchmarks notebook names a file of the repository."
    path = ROOT/doc
    text = '\n'.join(readme.notebook_markdown(path)) if path.suffix == '.ipynb' else path.read_text()
    assert '../shared' not in text, f'{doc} points outside the repository'
    local = [l.split('#')[0] for l in _links(text) if not re.match(r'[a-z]+:', l) and not l.startswith('#')]
    assert local, f'{doc} links nothing'
    missing = [l for l in local if not (path.parent/l).exists()]
    assert not missing, f'{doc} links to missing files: {missing}'

def test_tables_follow_their_files(tmp_path, monkeypatch):
    "Changing a number in a results file changes the rendered table (the rendering reads the file, not a copy)."
    poke = dict(comparison=lambda r: next(iter(r['models'].values()))['age_control'].update(spearman=0.123456),
                synthetic_age_control=lambda r: next(iter(r['models'].values())).update(spearman=0.123456),
                bench=lambda r: [x.update(images_per_s=123456.0, gflop_per_image=0.123456) for x in r['rows'] + [r['breakdown'], r['data_path']]],
                alignment_check=lambda r: r['models']['original'].update(ssim=0.123456),
                real_face_reference=lambda r: next(iter(r['splits'].values())).update(spearman=0.123456),
                widget_latency=lambda r: r['64px']['cached_age'].update(median_ms=0.123456),
                duplicates=lambda r: r['caches'][0]['copies_of_training']['val'].update(exact=123456),
                photo_resolution=lambda r: r['photo']['age_control'].update(spearman=0.123456),
                shift=lambda r: r['faces'][0].update(age=123456.0),
                pretrained_cost=lambda r: r['encode'].update(gflop=123456.0))
    paths = sorted(set(p for _, text in DOCS for p in readme.MARKER.findall(text)))
    assert len(paths) >= 3, paths                                               # throughput, synthetic and UTKFace tables
    for path in paths:
        before = readme.table(path)
        if path.endswith('.csv'):
            lines = (ROOT/path).read_text().split('\n')
            row = next(csv.DictReader(io.StringIO('\n'.join(lines[:2]))))
            col = next(c for c in ('spearman', 'age_control.spearman', 'photo_spearman') if c in row)   # an ablation table, a sweep summary, the mask ablation
            name, text = 'r.csv', (ROOT/path).read_text().replace(lines[1], lines[1].replace(f",{row[col]},", ',0.123456,', 1), 1)
        else:
            file, _, view = path.partition('#')                                   # PATH#view: another table of the same file
            res = json.loads((ROOT/file).read_text()); poke[res['kind']](res); name, text = 'r.json', json.dumps(res)
        (tmp_path/name).write_text(text)
        with monkeypatch.context() as m:
            m.setattr(readme, 'ROOT', tmp_path)
            after = readme.table(name + (f'#{view}' if not path.endswith('.csv') and view else ''))
        assert after != before and ('0.12' in after or '123,456' in after), path

def test_unknown_source_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(readme, 'ROOT', tmp_path)
    with pytest.raises(FileNotFoundError, match='missing.json'): readme.table('missing.json')
    (tmp_path/'x.json').write_text('{"kind": "nope"}')
    with pytest.raises(ValueError, match='unknown results kind'): readme.table('x.json')
    (tmp_path/'y.json').write_text('{"kind": "duplicates", "caches": []}')
    with pytest.raises(ValueError, match="unknown view 'sideways'"): readme.table('y.json#sideways')
