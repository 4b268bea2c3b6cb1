#!/usr/bin/env python3
"""One row of the quality ablation: train one setting on the UTKFace cache (or reuse a finished run), then score
it on the VALIDATION split with the independent benchmark, for one or more ways of editing (plain decoding, or
residual editing with a gain). Each (run, edit) pair appends a row to figures/utkface/ablation_64.csv with the
command, the training time and every headline metric, so nothing is lost when a session stops.

Usage:
  python benchmarks/quality_ablation.py --name dec-z32 --config configs/cpu-utk.json --age-mode decoder \
      --steps 1200 --edits decode,residual:2.5 [--n 150] [--run runs/ablation/dec-z32]

The settings are `agevae train`'s flags (`--latent-dim 16 --minutes 58 ...`), layered the same way:
the model family's defaults, then --config, then the flags.
  python benchmarks/quality_ablation.py --name latent-cpu-utk --run runs/utk64-v3/latent --edits residual:2.5   # score a finished run
  python benchmarks/quality_ablation.py --name ttq-gan-58min --from-validation models/utkface-64/validation.json \
      --table figures/utkface/time_to_quality_64.csv                 # a shipped model's validation candidates, as ship_model scored them
"""
import argparse, csv, json, math, sys, time
from pathlib import Path
from agevae.core import atomic_write
from agevae.evaluate import EvalSpec, evaluate, IndependentScorers, age_mode_in
from agevae.shift import EDITS
from agevae.cli import given_settings, setting_flags
from agevae.train import layer_configs, train

COLUMNS = ('name', 'edit', 'gain', 'split', 'n', 'age_mode', 'mean_estimated_age', 'spearman', 'target_mae', 'identity', 'identity_recon',
           'psnr', 'ssim', 'mig_age', 'estimator_mae_inputs', 'train_seconds', 'steps', 'command', 'train_command',
           'identity_moved', 'intervals')                                   # since duplicate groups: moved-edit identity, 95 % intervals (JSON)
KEY = ('name', 'edit', 'gain', 'split')
NOT_SETTINGS = ('image_size', 'data', 'out')                            # set by the cache, --data and --run

def write_row(table:Path, row:dict):
    "Add `row` to the CSV `table`, replacing an earlier row of the same setting, edit and split (atomically)."
    rows = []
    if table.exists():
        with open(table, newline='') as f: rows = list(csv.DictReader(f))
    rows = [{**r, 'age_mode': age_mode_in(r)} for r in rows]                   # rows written before the age modes had one name hold `age_via`
    rows = [r for r in rows if tuple(str(r.get(k)) for k in KEY) != tuple(str(row[k]) for k in KEY)] + [row]
    def write(tmp):
        with open(tmp, 'w', newline='') as f:
            w = csv.DictWriter(f, COLUMNS, extrasaction='ignore'); w.writeheader(); w.writerows(rows)
    atomic_write(table, write)

def parse_edits(text:str) -> list:
    "[(kind, gain, label)] of --edits ('none': []), or SystemExit naming the first bad one."
    out = []
    for e in ([] if text == 'none' else text.split(',')):
        kind, _, gain = e.partition(':')
        try: g = float(gain or 1); ok = kind in EDITS and math.isfinite(g)
        except ValueError: ok = False
        if not ok: raise SystemExit(f"--edits {e!r}: expected 'none', or one or more of {', '.join(EDITS)}, each with an optional :GAIN")
        out.append((kind, g, e.replace(':', '')))
    return out

def validation_rows(name:str, path:Path) -> list:
    "Rows of this table from a shipped model's validation candidates (scripts/ship_model.py's validation.json, train_seconds.json beside it)."
    t, s = path.parent/'train_seconds.json', path.parent/'summary.json'
    if not (path.is_file() and t.is_file()): raise SystemExit(f"--from-validation: '{path}' and '{t}' must both exist (a model folder written by ship_model)")
    v, secs = json.loads(path.read_text()), json.loads(t.read_text())
    steps = json.loads(s.read_text())['steps'] if s.is_file() else None
    return [dict(name=name, edit=c['edit']['kind'], gain=float(g), split=c['split'], n=c['n_faces'], age_mode='decoder', spearman=round(c['spearman'], 3),
                 target_mae=round(c['target_mae'], 2), identity=round(c['identity'], 3), psnr=round(c['psnr'], 2), train_seconds=round(secs['seconds']),
                 steps=steps, command='python ' + ' '.join(sys.argv), train_command=secs.get('command', ''),
                 identity_moved=None if c.get('identity_moved') is None else round(c['identity_moved'], 3), intervals=json.dumps(c.get('intervals')))
            for g, c in v['candidates'].items()]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', required=True); ap.add_argument('--data', default='data/utkface-64')
    ap.add_argument('--config', help="JSON with 'model'/'train' sections"); ap.add_argument('--run', help='run folder (default runs/ablation/NAME)')
    ap.add_argument('--edits', default='decode', help="decode, residual:GAIN and/or extrapolate:GAIN, comma-separated; 'none': train only (score later, e.g. with scripts/ship_model.py)")
    ap.add_argument('--n', type=int, default=300); ap.add_argument('--split', default='val', choices=('val', 'test'))
    ap.add_argument('--table', default='figures/utkface/ablation_64.csv')
    ap.add_argument('--from-validation', help="a shipped model's validation.json: write its candidates as rows NAME (no training, no scoring)")
    setting_flags(ap, skip=NOT_SETTINGS)
    a = ap.parse_args()
    run = Path(a.run or f'runs/ablation/{a.name}')
    if a.from_validation:
        for row in validation_rows(a.name, Path(a.from_validation)): write_row(Path(a.table), row)
        return print(f'{a.table}: the validation candidates of {a.from_validation} as {a.name!r}')
    edits = parse_edits(a.edits)                                            # checked before an hour of training, not after
    def finished():
        s = json.loads((run/'summary.json').read_text()) if (run/'summary.json').exists() else None
        return s is not None and not s.get('interrupted') and s['steps'] >= s['total_steps']
    if not finished():
        _, mcfg, tcfg = layer_configs(a.data, run, a.config, {'sample_every': 0, **given_settings(a, NOT_SETTINGS)})
        spent = run/'.train_seconds_partial.json'                        # wall time of interrupted attempts, added up over resumes
        before = json.loads(spent.read_text())['seconds'] if spent.exists() else 0.0
        t0 = time.time()
        summary = train(tcfg, mcfg, resume=(run/'checkpoints'/'last.pt').exists())
        secs = summary.get('train_seconds', before + time.time() - t0)      # the loop's wall time, summed over resumes by train itself
        if summary['interrupted']:
            spent.write_text(json.dumps(dict(seconds=secs)))
            raise SystemExit(f"training stopped by {summary['interrupted']} at step {summary['steps']}: run the same command again to resume")
        (run/'train_seconds.json').write_text(json.dumps(dict(seconds=secs, command='python ' + ' '.join(sys.argv))))
        spent.unlink(missing_ok=True)
    if not edits: return
    rec = json.loads((run/'train_seconds.json').read_text()) if (run/'train_seconds.json').exists() else {}
    secs = rec.get('seconds')
    steps = json.loads((run/'summary.json').read_text())['steps']
    scorers = IndependentScorers()
    table = Path(a.table)
    for kind, gain, label in edits:
        r = evaluate(run, a.data, run/f'eval-{a.split}-{label}', EvalSpec(a.split, a.n, edit=kind, gain=gain), scorers)
        ac, idn = r['age_control'], r['identity']
        row = dict(name=a.name, edit=kind, gain=gain, split=a.split, n=r['n_faces'], age_mode=age_mode_in(r),
                   mean_estimated_age=' '.join(f'{v:.0f}' for v in ac['mean_estimated_age']), spearman=round(ac['spearman'], 3),
                   target_mae=round(ac['target_mae'], 2), identity=round(idn['retention'], 3), identity_recon=round(idn['reconstruction_retention'], 3),
                   psnr=round(r['recon']['psnr'], 2), ssim=round(r['recon']['ssim'], 3), mig_age=None if r['mig']['age'] is None else round(r['mig']['age'], 3),
                   estimator_mae_inputs=round(ac['estimator_mae_on_inputs'], 2), train_seconds=None if secs is None else round(secs),
                   steps=steps, command='python ' + ' '.join(sys.argv), train_command=rec.get('command', ''),
                   identity_moved=None if idn.get('retention_moved') is None else round(idn['retention_moved'], 3),
                   intervals=json.dumps(r.get('intervals')))
        write_row(table, row)
        print(' | '.join(f'{k} {row[k]}' for k in COLUMNS if k not in ('command', 'train_command')), flush=True)

if __name__ == '__main__': main()
