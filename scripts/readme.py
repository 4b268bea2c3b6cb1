#!/usr/bin/env python3
"""Render README.md from nbs/index.ipynb (nbdev's own `nbdev-readme` needs Quarto, which this project does not install).

Markdown cells are copied as they are; code cells become ```python blocks (cells marked `#| hide` are left out,
other `#|` directives are stripped). Outputs are never copied: the notebooks are kept clean.

Numbers are never typed into the README: a markdown line `<!-- table: PATH -->` is replaced by that marker and
the table rendered from the committed results file PATH (JSON written by a benchmark script or `agevae evaluate`,
or the ablation CSV of benchmarks/quality_ablation.py),
so the README's tables always say what those files say (tests/test_readme.py checks it).
"""
import csv, io, json, re, sys
from pathlib import Path
from agevae.core import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r'^<!-- table: (?P<path>[^ ]+) -->$', re.M)

def _f(v, spec):
    return '–' if v is None else format(v, spec)

def _row(cells): return '| ' + ' | '.join(cells) + ' |'

def _table(head, rows): return '\n'.join([_row(head), '|' + '---|' * len(head), *map(_row, rows)])

def comparison(res):
    "Age-control benchmark results: {'models': {label: metrics.json content (+ train_seconds)}}."
    head = ('model', 'mean estimated age at 10 … 70', 'Spearman ρ', 'target MAE', 'identity kept', 'identity kept (reconstruction)',
            'PSNR', 'SSIM', 'MIG age', 'training')
    rows = []
    for name, m in res['models'].items():
        a, i, r = m['age_control'], m['identity'], m['recon']
        t = m.get('train_seconds')
        rows.append([name, ', '.join(f'{v:.0f}' for v in a['mean_estimated_age']), _f(a['spearman'], '.2f'), _f(a['target_mae'], '.1f'),
                     _f(i['retention'], '.0%'), _f(i.get('reconstruction_retention'), '.0%'), _f(r['psnr'], '.1f'), _f(r['ssim'], '.3f'),
                     _f(m['mig']['age'], '.3f'), '–' if t is None else f'{t / 60:.0f} min'])
    return _table(head, rows)

def synthetic_age_control(res):
    "Synthetic benchmark results: {'models': {name: age_response stats + psnr}}."
    head = ('model', 'mean estimated age at targets 10 … 70', 'Spearman ρ', 'slope', 'target MAE (y)', 'PSNR (dB)')
    rows = [[name, ', '.join(f'{v:.0f}' for v in r['mean_estimated_age']), f"{r['spearman']:.2f}", f"{r['slope']:.2f}",
             f"{r['target_mae']:.1f}", f"{r['psnr']:.1f}"] for name, r in res['models'].items()]
    return _table(head, rows)

def throughput(res):
    "Throughput results: {'rows': [{model, params, fp32, bf16}]}."
    head = ('model', 'parameters', 'fp32 images/s', 'bf16 autocast images/s')
    return _table(head, [[r['model'], f"{r['params']:,}", f"{r['fp32']:,.0f}", f"{r['bf16']:,.0f}"] for r in res['rows']])

def ablation(rows):
    "Rows of an ablation CSV (benchmarks/quality_ablation.py), one per setting and edit."
    head = ('setting', 'edit', 'mean estimated age at 10 … 70', 'Spearman ρ', 'target MAE', 'identity kept', 'identity kept (reconstruction)',
            'PSNR', 'training')
    edit = lambda r: 'decode' if r['edit'] == 'decode' else f"residual ×{float(r['gain']):g}"
    mins = lambda r: f"{float(r['train_seconds']) / 60:.0f} min" if r['train_seconds'] else '–'
    return _table(head, [[f"`{r['name']}`", edit(r), r['mean_estimated_age'].replace(' ', ', '), f"{float(r['spearman']):.2f}",
                          f"{float(r['target_mae']):.1f}", f"{float(r['identity']):.0%}", f"{float(r['identity_recon']):.0%}",
                          f"{float(r['psnr']):.1f}", mins(r)] for r in rows])

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

RENDERERS = dict(alignment_check=alignment_check, real_face_reference=real_face_reference, widget_latency=widget_latency, comparison=comparison, synthetic_age_control=synthetic_age_control, throughput=throughput)

def table(path:str) -> str:
    "The markdown table of the results file at `path` (relative to the repository)."
    p = ROOT/path
    if not p.is_file(): raise FileNotFoundError(f"README table source '{path}' does not exist (nbs/index.ipynb names it)")
    if p.suffix == '.csv':
        rows = list(csv.DictReader(io.StringIO(p.read_text())))
        return sweep_summary(p) if rows and 'age_control.spearman' in rows[0] else ablation(rows)
    res = json.loads(p.read_text())
    if res.get('kind') not in RENDERERS: raise ValueError(f"'{path}': unknown results kind {res.get('kind')!r}; expected one of {sorted(RENDERERS)}")
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

def main():
    text = render(ROOT/'nbs'/'index.ipynb')
    out = ROOT/'README.md'
    if out.exists() and out.read_text() == text: return
    atomic_write_text(out, text)
    print(f'wrote {out.relative_to(ROOT)}', file=sys.stderr)

if __name__ == '__main__': main()
