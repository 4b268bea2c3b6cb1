#!/usr/bin/env python3
"""Render README.md from nbs/index.ipynb (nbdev's own `nbdev-readme` needs Quarto, which this project does not install),
and the tables of nbs/21_benchmarks.ipynb in place.

Markdown cells are copied as they are; code cells become ```python blocks (cells marked `#| hide` are left out,
other `#|` directives are stripped). Outputs are never copied: the notebooks are kept clean.

Numbers are never typed into the README: a markdown line `<!-- table: PATH -->` is replaced by that marker and
the table rendered from the committed results file PATH (JSON written by a benchmark script or `agevae evaluate`,
or the ablation CSV of benchmarks/quality_ablation.py),
so the README's tables always say what those files say (tests/test_readme.py checks it).

The notebooks of TABLE_NOTEBOOKS (nbs/21_benchmarks.ipynb: every measurement the README leaves out) are committed
without outputs, so their tables live in their markdown cells: there, the table that follows each marker (the `|`
lines just below it) is replaced in place by the one rendered from PATH, and the notebook is rewritten as
`nbdev-clean` writes notebooks (so `nbdev-clean` leaves it as it is).
"""
import csv, io, json, re, sys
from pathlib import Path
from agevae.core import GENDERS, atomic_write_text, fmt as _f, markdown_table

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r'^<!-- table: (?P<path>[^ ]+) -->$', re.M)
TABLE_NOTEBOOKS = ('nbs/21_benchmarks.ipynb',)                                  # notebooks whose markdown tables are rendered in place

def _table(head, rows): return markdown_table(head, rows).rstrip('\n')

def _ci(m, key, value, spec):
    "A value with its 95 % bootstrap interval, where the results file has one."
    ci = (m.get('intervals') or {}).get(key)
    return _f(value, spec) + ('' if ci is None or value is None else f' [{format(ci[0], spec)}, {format(ci[1], spec)}]')

# The project's targets on the test split, judged on the point estimate: (label, metric, section, key, sign, target, format).
GOALS = (('Spearman ρ ≥ 0.85', 'spearman', 'age_control', 'spearman', 1, 0.85, '.3f'),
           ('target MAE ≤ 9 years', 'target_mae', 'age_control', 'target_mae', -1, 9, '.2f'),
           ('identity kept, moved edits ≥ 85 %', 'retention_moved', 'identity', 'retention_moved', 1, 0.85, '.1%'),
           ('PSNR ≥ 24 dB', 'psnr', 'recon', 'psnr', 1, 24, '.2f'))

def verdict(value, ci, sign, target) -> str:
    "'meets' or 'misses' on the point estimate, 'within noise' where the interval straddles the target."
    if value is None: return 'not measured'
    met = sign * (value - target) >= 0
    noisy = ci is not None and min(ci) < target < max(ci)
    return ('meets' if met else 'misses') + (', within noise' if noisy else '')

def targets_table(res) -> str:
    "The first model of a comparison against the project's targets, each with its interval and verdict, and the identity metric's chance level."
    m = next(iter(res['models'].values()))
    split, chance, rows = m['data_check']['split'], m['identity'].get('chance') or {}, []
    for label, key, sec, k, sign, target, spec in GOALS:
        v, ci = m[sec].get(k), (m.get('intervals') or {}).get(key)
        v = None if v is not None and v != v else v                                # NaN: not measured
        rows.append([label, _f(v, spec), '–' if ci is None else f'[{format(ci[0], spec)}, {format(ci[1], spec)}]', verdict(v, ci, sign, target)])
    rows += [[f"the identity metric's chance level: {what}", _f(chance.get(k), '.1%'), '–', 'reference: pairs of different photos it calls one person']
             for what, k in (('different photos', 'different_people'), ('the same gender within 5 years', 'same_gender_within_5_years'))]
    return _table((f"target ({split} split, {m['n_faces']} faces)", 'shipped model', '95 % interval (bootstrap over faces)', 'verdict'), rows)

def comparison(res):
    "Age-control benchmark results: {'models': {label: metrics.json content (+ train_seconds)}}; with intervals, a targets table for the first."
    head = ('model', 'mean estimated age at 10 … 70', 'Spearman ρ', 'target MAE', 'identity kept, moved edits', 'identity kept, all edits',
            'identity kept (reconstruction)', 'PSNR', 'SSIM', 'MIG age', 'training')
    rows = []
    for name, m in res['models'].items():
        a, i, r = m['age_control'], m['identity'], m['recon']
        t = m.get('train_seconds')
        rows.append([name, ', '.join(f'{v:.0f}' for v in a['mean_estimated_age']), _ci(m, 'spearman', a['spearman'], '.2f'),
                     _ci(m, 'target_mae', a['target_mae'], '.1f'), _ci(m, 'retention_moved', i.get('retention_moved'), '.0%'),
                     _f(i['retention'], '.0%'), _f(i.get('reconstruction_retention'), '.0%'), _ci(m, 'psnr', r['psnr'], '.1f'), _f(r['ssim'], '.3f'),
                     _f(m['mig']['age'], '.3f'), '–' if t is None else f'{t / 60:.0f} min'])
    return _table(head, rows)

def synthetic_age_control(res):
    "Synthetic benchmark results: {'models': {name: age_response stats + psnr}}."
    head = ('model', 'mean estimated age at targets 10 … 70', 'Spearman ρ', 'slope', 'target MAE (y)', 'PSNR (dB)')
    rows = [[name, ', '.join(f'{v:.0f}' for v in r['mean_estimated_age']), f"{r['spearman']:.2f}", f"{r['slope']:.2f}",
             f"{r['target_mae']:.1f}", f"{r['psnr']:.1f}"] for name, r in res['models'].items()]
    return _table(head, rows)

def bench(res):
    "agevae bench: a row per configuration and setting (18_bench's `bench_table`)."
    from agevae.bench import bench_table
    return bench_table(res).rstrip('\n')

def photo_mask_ablation(rows):
    "Rows of the photo-mask ablation CSV (benchmarks/photo_resolution.py --csv): one face mask per row, whole photos against the chips."
    head = ('face mask (radii x, y, power, solid)', 'faces', 'chip: Spearman ρ', 'chip: target MAE', 'chip: identity kept, moved edits',
            'photo: Spearman ρ', 'photo: target MAE', 'photo: identity kept, moved edits', "photo: fine detail kept (of the input's)")
    mask = lambda m: 'none (the chip\'s whole change)' if m == 'none' else f'`{m}`'
    return _table(head, [[mask(r['mask']), f"{r['split']} {r['n']}", f"{float(r['chip_spearman']):.3f}", f"{float(r['chip_target_mae']):.2f}",
                          f"{float(r['chip_retention_moved']):.1%}", f"{float(r['photo_spearman']):.3f}", f"{float(r['photo_target_mae']):.2f}", f"{float(r['photo_retention_moved']):.1%}",
                          f"{float(r['photo_detail']):.2f}"] for r in rows])

def ablation(rows):
    "Rows of an ablation CSV (benchmarks/quality_ablation.py), one per setting and edit; moved-edit identity and intervals where rows have them."
    moved = any(r.get('identity_moved') for r in rows)
    head = ('setting', 'edit', 'faces', 'mean estimated age at 10 … 70', 'Spearman ρ', 'target MAE', *(('identity kept, moved edits',) if moved else ()),
            'identity kept', 'identity kept (reconstruction)', 'PSNR', 'training')
    edit = lambda r: 'decode' if r['edit'] == 'decode' else f"{r['edit']} ×{float(r['gain']):g}"
    mins = lambda r: f"{float(r['train_seconds']) / 60:.0f} min" if r['train_seconds'] else '–'
    def ci(r, key, value, spec):                                             # a value with its interval, where the row has one
        iv = json.loads(r.get('intervals') or 'null') or {}
        return format(value, spec) + (f" [{format(iv[key][0], spec)}, {format(iv[key][1], spec)}]" if iv.get(key) else '')
    return _table(head, [[f"`{r['name']}`", edit(r), f"{r['split']} {r['n']}", r['mean_estimated_age'].replace(' ', ', ') or '–',
                          ci(r, 'spearman', float(r['spearman']), '.2f'), ci(r, 'target_mae', float(r['target_mae']), '.1f'),
                          *((ci(r, 'retention_moved', float(r['identity_moved']), '.0%') if r.get('identity_moved') else '–',) if moved else ()),
                          f"{float(r['identity']):.0%}", f"{float(r['identity_recon']):.0%}" if r['identity_recon'] else '–', f"{float(r['psnr']):.1f}", mins(r)] for r in rows])

def alignment_check(res):
    "benchmarks/alignment_check.py: the shipped model and the estimator on original vs re-aligned UTKFace chips."
    head = ('64 px test faces', 'landmarks from the template (side)', 'model PSNR, D(z, own age)', 'SSIM', 'estimator MAE (years)', 'estimator bias (years)')
    names = dict(original='original UTKFace chips', realigned='re-aligned (`--crop align`)', face_chip="dlib's get_face_chip, padding 0.25 (the old `shift` framing)")
    dist = dict(original=res['framing']['chips_to_template'], realigned=res['framing']['realigned_to_template'])
    return _table(head, [[names.get(k, k), _f(dist.get(k), '.3f'), f"{m['psnr']:.1f}", f"{m['ssim']:.3f}", f"{m['estimator_mae']:.1f}",
                          f"{m['estimator_bias']:+.1f}"] for k, m in res['models'].items()])

def real_face_reference(res):
    "benchmarks/real_face_reference.py: the benchmark's statistics on real faces of each target age (bootstrap mean ± sd)."
    head = ('real faces at each target', 'mean estimated age at 10 … 70', 'spread (sd over faces) at 10 … 70', 'Spearman ρ (± bootstrap sd)', 'target MAE (± bootstrap sd)')
    return _table(head, [[f"{split} split, {res['per_target']} faces within {res['window_years']:g} years of each target, {res['size']} px",
                          ', '.join(f'{v:.0f}' for v in r['mean_estimated_age']), ', '.join(f'{v:.0f}' for v in r['sd_estimated_age']),
                          f"{r['spearman']:.2f} ± {r['spearman_sd']:.2f}", f"{r['target_mae']:.1f} ± {r['target_mae_sd']:.1f}"]
                         for split, r in res['splits'].items()])

def widget_latency(res):
    "benchmarks/widget_latency.py: milliseconds per slider step of `AgeExplorer`."
    head = ('faces', 'new age, median ms', 'new age, p90 ms', 'of which the decoder', 'of which the estimator', 'an age already seen', 'limit')
    rows = []
    for px in ('64px', '128px'):
        for key, what in ((px, 'with the estimator reading'), (f'{px}_image_only', 'image only')):
            if key not in res: continue
            m = res[key]
            rows.append([f'{px[:-2]} px, {what}', f"{m['new_age']['median_ms']:.1f}", f"{m['new_age']['p90_ms']:.1f}", f"{m['decoder']['median_ms']:.1f}",
                         _f(m.get('estimator', {}).get('median_ms'), '.1f'), f"{m['cached_age']['median_ms']:.2f}", f"{res['limits_ms'][px]:.0f}"])
    return _table(head, rows)

def sweep_summary(path):
    "A β sweep's summary.csv (agevae sweep): one row per β; ★ marks the PSNR vs target-age MAE Pareto front."
    from agevae.sweep import summary_table
    return summary_table(path).rstrip('\n')

def duplicates(res):
    "benchmarks/duplicates.py: held-out faces that are copies of a training face, counted from the pixels, per cache."
    head = ('cache', 'groups of copies (faces)', 'with conflicting ages', 'split', 'faces', 'exact copies of a training face',
            'within 4/255 RMS (16 × 16 grey)', "under prepare's near rule")
    rows = []
    for c in res['caches']:
        g = c['groups']
        for s, n in c['copies_of_training'].items():
            rows.append([f"`--dedupe {c['dedupe']}`", f"{g['groups']:,} ({g['rows']:,})", f"{g['label_conflicts']:,}", s, f"{n['faces']:,}",
                         f"{n['exact']:,}", f"{n['within_4_255_rms']:,}", f"{n['near_rule']:,}"])
    return _table(head, rows)

def photo_resolution(res):
    "benchmarks/photo_resolution.py: the same edits scored as 64 px chips and as whole photos at their own resolution."
    n, (w, h), t = res['n'], res['photo_size'], res['seconds_per_photo']
    head = (f"{res['split']} faces ({n}), targets 10 … 70", 'Spearman ρ', 'target MAE', 'identity kept, moved edits', "fine detail kept (of the input's)", 'seconds per photo')
    names = dict(chip='64 px chips (the model\'s own output)', photo=f'whole photos, {w} × {h} px (`agevae shift`)')
    rows = []
    for k in ('chip', 'photo'):
        m, d = res[k], res[k]['detail_ratio']
        rows.append([names[k], _ci(m, 'spearman', m['age_control']['spearman'], '.3f'), _ci(m, 'target_mae', m['age_control']['target_mae'], '.2f'),
                     _ci(m, 'retention_moved', m['identity']['retention_moved'], '.1%'), f"{d['mean']:.2f} [{d['interval'][0]:.2f}, {d['interval'][1]:.2f}]",
                     f"{t['median']:.3f} (p90 {t['p90']:.3f})" if k == 'photo' else '–'])
    return _table(head, rows)

def shift(res):
    "A photo's record from `agevae shift` (NAME.json): who was found and what was written (not its time, which differs per run)."
    f = res['faces']
    return _table(('photo', 'size', 'faces', "the face's age", 'gender', 'target ages', 'written'),
                  [[f"`{Path(res['input']).name}`", f"{res['size'][0]} × {res['size'][1]}", str(len(f)),
                    f"{f[0]['age']:,.0f}" + (' (estimated)' if 'age' in f[0]['estimated'] else ''),
                    GENDERS[f[0]['gender']] + (' (estimated)' if 'gender' in f[0]['estimated'] else ' (given)'),
                    ', '.join(f'{a:g}' for a in res['settings']['ages']), ', '.join(f'`{n}`' for n in res['files'])]])

def pretrained_cost(res):
    "benchmarks/pretrained_cost.py: what encoding and decoding one face costs with the pre-trained VAE's architecture."
    e, d, est = res['encode'], res['decode'], res['estimate']
    head = (f"{res['architecture']}, {res['size']} px", 'GFLOP per face', f"seconds per face on this CPU ({res['threads']} threads)")
    rows = [['encode', f"{e['gflop']:,.1f}", f"{e['seconds']:.2f}"], ['decode', f"{d['gflop']:,.1f}", f"{d['seconds']:.2f}"],
            [f"fit and benchmark: {est['shift_faces']:,} training faces encoded; the split's {est.get('split_faces', 0):,} faces reconstructed and encoded; "
             f"{est['n']} faces × (2 encodes + 8 decodes)", '–',
             f"about {est['hours']:.1f} hours"]]
    return _table(head, rows)

RENDERERS = dict(pretrained_cost=pretrained_cost, photo_resolution=photo_resolution, shift=shift, duplicates=duplicates, alignment_check=alignment_check, real_face_reference=real_face_reference, widget_latency=widget_latency, comparison=comparison, synthetic_age_control=synthetic_age_control, bench=bench)

# `PATH#summary` of an `agevae bench` file: the rows in the setting the shipped model trains in (configs/utkface-64-gan.json: 64 px, bf16 autocast, eager).
BENCH_SUMMARY = dict(size=64, dtype='bf16', mode='eager', channels_last=False)

def table(path:str) -> str:
    "The markdown table of the results file at `path` (relative to the repository); `PATH#VIEW`: another table of the same file (a comparison's `targets`; a bench file's `summary`, `machine` or `breakdown`)."
    path, _, view = path.partition('#')
    p = ROOT/path
    if not p.is_file(): raise FileNotFoundError(f"table source '{path}' does not exist (a `<!-- table: {path} -->` marker names it)")
    if p.suffix == '.csv':
        rows = list(csv.DictReader(io.StringIO(p.read_text())))
        if rows and 'age_control.spearman' in rows[0]: return sweep_summary(p)
        return photo_mask_ablation(rows) if rows and 'photo_spearman' in rows[0] else ablation(rows)
    res = json.loads(p.read_text())
    if res.get('kind') not in RENDERERS: raise ValueError(f"'{path}': unknown results kind {res.get('kind')!r}; expected one of {sorted(RENDERERS)}")
    if view == 'targets' and res['kind'] == 'comparison': return targets_table(res)
    if view == 'breakdown' and res['kind'] == 'bench' and 'parts' in (res.get('breakdown') or {}):
        from agevae.bench import breakdown_table
        return breakdown_table(res['breakdown']).rstrip('\n')
    if view == 'summary' and res['kind'] == 'bench':                             # the rows of the shipped model's training setting
        from agevae.bench import bench_table
        return bench_table(dict(res, rows=[r for r in res['rows'] if all(r.get(k) == v for k, v in BENCH_SUMMARY.items())])).rstrip('\n')
    if view == 'machine' and res['kind'] == 'bench':
        from agevae.bench import machine_table
        return machine_table(res).rstrip('\n')
    if view: raise ValueError(f"'{path}#{view}': unknown view {view!r} of a {res['kind']} results file")
    return RENDERERS[res['kind']](res)

def expand(md:str) -> str:
    "Markdown with every table marker followed by its rendered table."
    return MARKER.sub(lambda m: f"{m.group(0)}\n{table(m.group('path'))}", md)

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source']).strip('\n')
        if not src: continue
        if cell['cell_type'] == 'markdown': parts.append(expand(src))
        elif cell['cell_type'] == 'code':
            lines = src.split('\n')
            if any(l.strip().startswith('#|') and 'hide' in l for l in lines): continue
            code = '\n'.join(l for l in lines if not l.strip().startswith('#|')).strip('\n')
            if code: parts.append(f'```python\n{code}\n```')
    return '<!-- Rendered from nbs/index.ipynb by scripts/readme.py: edit the notebook, not this file. -->\n\n' + '\n\n'.join(parts) + '\n'

def refresh(md:str) -> str:
    "Markdown that holds its tables (a notebook's markdown cell): the table below each marker replaced by the one rendered now."
    lines, out, i = md.split('\n'), [], 0
    while i < len(lines):
        out.append(lines[i])
        m = MARKER.match(lines[i]); i += 1
        if not m: continue
        while i < len(lines) and lines[i].startswith('|'): i += 1              # the table as it was
        out += table(m.group('path')).split('\n')
    return '\n'.join(out)

def _nb_text(nb) -> str:
    "A notebook as `nbdev-clean` writes it: sources as lists of lines, keys sorted, indent 1, UTF-8 as is, a final newline."
    for c in nb['cells']:
        if isinstance(c['source'], str): c['source'] = c['source'].splitlines(keepends=True)
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n'

def render_tables(nb_path: Path) -> str:
    "The text of the notebook at `nb_path` with every table under a marker in its markdown cells rendered again."
    nb = json.loads(nb_path.read_text())
    for c in nb['cells']:
        if c['cell_type'] == 'markdown': c['source'] = refresh(''.join(c['source']))
    return _nb_text(nb)

def notebook_markdown(nb_path: Path) -> list:
    "The markdown cells' sources of the notebook at `nb_path`."
    return [''.join(c['source']) for c in json.loads(nb_path.read_text())['cells'] if c['cell_type'] == 'markdown']

def _write(out: Path, text: str):
    if out.exists() and out.read_text() == text: return
    atomic_write_text(out, text)
    print(f'wrote {out.relative_to(ROOT)}', file=sys.stderr)

def main():
    _write(ROOT/'README.md', render(ROOT/'nbs'/'index.ipynb'))
    for nb in TABLE_NOTEBOOKS: _write(ROOT/nb, render_tables(ROOT/nb))

if __name__ == '__main__': main()
