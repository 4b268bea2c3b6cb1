#!/usr/bin/env python3
"""Draw the time-to-quality curves from the committed results: validation ρ, target MAE, moved-edit identity and PSNR
against training minutes, one line per configuration and gain, with 95 % intervals, plus the ρ / identity plane with the
targets. Reads the rows `benchmarks/quality_ablation.py` writes (names end in -NNmin; the configuration is the rest; a
shipped model's validation candidates join the table through its --from-validation).

Usage:
  python benchmarks/time_to_quality_figure.py [--table figures/utkface/time_to_quality_64.csv] [--out figures/utkface/time_to_quality_64.png]
"""
import argparse, csv, json, re
from pathlib import Path
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt

METRICS = (('spearman', 'spearman', 'validation Spearman ρ', 0.85, 'min'), ('target_mae', 'target_mae', 'target MAE (years)', 9, 'max'),
           ('identity_moved', 'retention_moved', 'moved-edit identity', 0.85, 'min'), ('psnr', 'psnr', 'PSNR (dB)', 24, 'min'))

def config_of(name:str) -> str:
    "The configuration a time-budgeted run belongs to: its name without the trailing -NNmin."
    return re.sub(r'-\d+min$', '', name)

def rows_from_table(path:Path) -> list:
    "One dict per scored (run, gain) of the CSV, with `config`, `minutes`, `gain` and the metrics with their intervals."
    out = []
    with open(path, newline='') as f:
        for r in csv.DictReader(f):
            iv = json.loads(r.get('intervals') or 'null')
            if not r.get('identity_moved') or not iv or not r.get('train_seconds') or r['split'] != 'val': continue   # older rows, or no time
            label = config_of(r['name']) + ('' if r['edit'] == 'residual' else f" ({r['edit']})")   # one curve per edit kind
            out.append(dict(config=label, minutes=float(r['train_seconds']) / 60, gain=float(r['gain']),
                            **{k: float(r[k]) for k, *_ in METRICS}, intervals=iv))
    return out

def draw(rows:list, out:Path):
    fig, axes = plt.subplots(1, 5, figsize=(24, 4.6))
    keys = sorted({(r['config'], r['gain']) for r in rows})
    colors = {c: plt.cm.tab10(i) for i, c in enumerate(sorted({r['config'] for r in rows}))}
    for cfg, gain in keys:
        rs = sorted((r for r in rows if (r['config'], r['gain']) == (cfg, gain)), key=lambda r: r['minutes'])
        gains = sorted(g for c, g in keys if c == cfg)                       # a marker and a shade per gain
        style = dict(color=colors[cfg], marker='osD^v*'[gains.index(gain) % 6], ls='-', alpha=0.45 + 0.55 * (gains.index(gain) + 1) / len(gains),
                     label=f'{cfg} ×{gain:g}')
        for ax, (k, ik, title, target, _) in zip(axes, METRICS):
            lo = [max(0, r[k] - r['intervals'][ik][0]) for r in rs]; hi = [max(0, r['intervals'][ik][1] - r[k]) for r in rs]   # a bootstrap interval can miss its point
            ax.errorbar([r['minutes'] for r in rs], [r[k] for r in rs], yerr=[lo, hi], capsize=3, **style)
    for cfg, mins in sorted({(r['config'], round(r['minutes'])) for r in rows}):    # the trade-off: one run's gains, joined
        rs = sorted((r for r in rows if (r['config'], round(r['minutes'])) == (cfg, mins)), key=lambda r: r['gain'])
        axes[4].plot([r['spearman'] for r in rs], [r['identity_moved'] for r in rs], color=colors[cfg], marker='o',
                     ls='-' if mins >= 30 else '--', label=f'{cfg}, {mins} min')
        for r in rs: axes[4].annotate(f"×{r['gain']:g}", (r['spearman'], r['identity_moved']), fontsize=6, xytext=(3, 3), textcoords='offset points')
    for ax, (k, _, title, target, _) in zip(axes, METRICS):
        ax.axhline(target, color='k', ls=':', lw=1); ax.set(title=title, xlabel='training minutes (2 cores)')
    axes[4].axvline(0.85, color='k', ls=':', lw=1); axes[4].axhline(0.85, color='k', ls=':', lw=1)
    axes[4].set(title='the trade-off: target is the upper right', xlabel='validation Spearman ρ', ylabel='moved-edit identity')
    axes[4].legend(fontsize=7, loc='lower left'); axes[0].legend(fontsize=6, loc='lower right')
    fig.suptitle('Time to quality on the validation split (300 faces; bars: 95 % bootstrap intervals; dotted: the targets)')
    fig.tight_layout(); out.parent.mkdir(parents=True, exist_ok=True); fig.savefig(out, dpi=90); plt.close(fig)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--table', default='figures/utkface/time_to_quality_64.csv')
    ap.add_argument('--only', help='comma-separated configurations to draw (default: all)')
    ap.add_argument('--out', default='figures/utkface/time_to_quality_64.png')
    a = ap.parse_args()
    rows = rows_from_table(Path(a.table))
    if a.only: rows = [r for r in rows if r['config'] in a.only.split(',')]
    if not rows: raise SystemExit(f'no validation rows with moved-edit identity in {a.table} (or --only matched none)')
    draw(rows, Path(a.out)); print(f'wrote {a.out} ({len(rows)} points)')

if __name__ == '__main__': main()
