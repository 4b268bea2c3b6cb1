#!/usr/bin/env python3
"""Ship a finished run as the repository's model: `models/NAME/` with config.json, a weights-only checkpoint,
edit.json (how to edit ages with it), metrics.json from the TEST split and MODEL_CARD.md; the results file
`figures/utkface/shipped_<size>.json` the README table is rendered from, and the model's age-progression grid.

Usage:
  python scripts/ship_model.py --run runs/ablation/NAME --data data/utkface-64 --edit residual --gain 2.5 \
      [--baseline runs/ablation/baseline-58min] [--n 300] [--name utkface-64]
"""
import argparse, json, shutil, sys, tempfile
from pathlib import Path
from agevae.evaluate import evaluate, IndependentScorers
from agevae.core import replace_dir
from agevae.checkpoint import export_model

ROOT = Path(__file__).resolve().parents[1]

def reference_note(size:int) -> str:
    "What real faces of the target ages score on the test split (benchmarks/real_face_reference.py), where that file exists."
    p = ROOT/'figures'/'utkface'/f'real_face_reference_{size}.json'
    r = json.loads(p.read_text())['splits'].get('test') if p.is_file() else None
    if r is None: return ''
    return (f" Real faces of the target ages themselves score ρ {r['spearman']:.2f} ± {r['spearman_sd']:.2f} and target MAE "
            f"{r['target_mae']:.1f} ± {r['target_mae_sd']:.1f} years on the test split (`{p.relative_to(ROOT)}`, `benchmarks/real_face_reference.py`).")

def card(name, cfg, metrics, edit, train, baseline, data_report) -> str:
    a, i, r = metrics['age_control'], metrics['identity'], metrics['recon']
    m, t = cfg['model'], cfg['train']
    line = lambda k, v: f'| {k} | {v} |'
    rows = [line('mean estimated age at targets ' + ', '.join(f'{v:.0f}' for v in a['targets']), ', '.join(f'{v:.0f}' for v in a['mean_estimated_age'])),
            line('Spearman ρ (target, estimated age)', f"{a['spearman']:.2f}"), line('target-age MAE', f"{a['target_mae']:.1f} years"),
            line('identity kept by the edits (dlib distance < 0.6)', f"{i['retention']:.0%}"),
            line('identity kept by the plain reconstruction', f"{i['reconstruction_retention']:.0%}"),
            line('reconstruction PSNR / SSIM, D(z, own age), whole test split', f"{r['psnr']:.1f} dB / {r['ssim']:.3f}"),
            line("the estimator's own MAE on the real inputs", f"{a['estimator_mae_on_inputs']:.1f} years")]
    base = ''
    for label, bm in (baseline or {}).items():                                # the baseline, trained for the same wall time, under each edit
        b, bt = bm['age_control'], bm.get('train_seconds')
        base += (f"\nThe {label}, {'trained for ' + format(bt / 60, '.1f') + ' minutes' if bt else 'training time unrecorded'}, "
                 f"scored the same way: mean estimated ages "
                 f"{', '.join(f'{v:.0f}' for v in b['mean_estimated_age'])}, ρ {b['spearman']:.2f}, target MAE {b['target_mae']:.1f}, "
                 f"identity kept {bm['identity']['retention']:.0%}, PSNR {bm['recon']['psnr']:.1f} dB.\n")
    return f"""# Model card: `{name}`

An age-conditioned β-VAE (`agevae.model.AgeVAE`, age mode `{m['age_mode']}`) trained on UTKFace at {m['image_size']} px.
Written by `scripts/ship_model.py` (rerun it to regenerate this card, the metrics and the README's shipped-model table).

## Data and split
UTKFace (Zhang, Song & Qi, CVPR 2017), {data_report.get('kept', '?'):,} aligned and cropped faces in the cache's age-stratified
80/10/10 split: training {data_report['splits']['train']:,}, validation {data_report['splits']['val']:,}, test {data_report['splits']['test']:,}.
Settings were compared on the validation split (`figures/utkface/ablation_64.csv`); the numbers below are from the test split.
**UTKFace is for non-commercial research only**; so is this model, which was trained on it.

## Settings
Model: {json.dumps(m)}

Training: {json.dumps({k: v for k, v in t.items() if k not in ('data', 'out')})}

Editing ages (`edit.json`): {'plain decoding, D(z, target)' if edit['kind'] == 'decode' else f"residual, x + {edit['gain']:g}·(D(z, target) − D(z, own age))"}.

Command: `{train.get('command', 'not recorded')}` — {train['seconds'] / 60:.0f} minutes of training on 2 CPU cores (wall time, as recorded in
train_seconds.json){f", {train['steps']:,} steps" if train.get('steps') else ''}{f" (a {t['minutes']:g}-minute time budget: `train.minutes`)" if t.get('minutes') else ''}.

## The age-control benchmark (test split, {metrics['n_faces']} age-stratified faces)
| | |
|---|---|
{chr(10).join(rows)}
{base}
## Limitations
- 64 px faces framed like UTKFace's chips. Other photos must be framed the same way: `agevae prepare --crop align`,
  `agevae shift` and the widget place dlib's 5 landmarks on UTKFace's mean landmark positions
  (`figures/utkface/alignment_64.json` measures the model and the estimator on re-aligned test chips).
- CPU-sized (trained on 2 cores, no GPU): the reconstruction misses fine detail, which is also part of how the
  estimator reads age.
- The edits learn what age looks like from UTKFace's labelled faces (through the age-conditional discriminator, when
  the model has one), confounds included: UTKFace's age groups differ in ethnic make-up and photo style, and the
  edits change skin tone and lighting with the target age as well as the face.
- Judged by two independent scorers (an age estimator and dlib identity embeddings), which training never saw;
  their own errors bound what the numbers can show.{reference_note(metrics['image_size'])}
- UTKFace is imbalanced (few faces over 80, ethnic groups unevenly represented); edits of under-represented
  groups are less reliable.
"""

def write_card(name, data):
    "MODEL_CARD.md of models/NAME from its metrics.json, config.json, edit.json, train_seconds.json and the shipped results file."
    out = ROOT/'models'/name
    metrics = json.loads((out/'metrics.json').read_text())
    res = json.loads((ROOT/'figures'/'utkface'/f"shipped_{metrics['image_size']}.json").read_text())['models']
    baseline = {k: v for k, v in res.items() if k.startswith(('baseline', 'seed baseline'))}
    rd = lambda f: json.loads((out/f).read_text())
    (out/'MODEL_CARD.md').write_text(card(name, rd('config.json'), metrics, rd('edit.json'), rd('train_seconds.json'), baseline,
                                          json.loads((Path(data)/'report.json').read_text())))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', help='the finished run to ship'); ap.add_argument('--data', default='data/utkface-64')
    ap.add_argument('--edit', default='decode', choices=('decode', 'residual')); ap.add_argument('--gain', type=float, default=1.0)
    ap.add_argument('--baseline', help="a baseline run trained for the same wall time, scored with plain decoding and with the shipped model's edit, for contrast")
    ap.add_argument('--n', type=int, default=300); ap.add_argument('--name', default='utkface-64')
    ap.add_argument('--card-only', action='store_true', help="rewrite models/NAME/MODEL_CARD.md from the committed JSON files, without evaluating")
    a = ap.parse_args()
    if a.card_only: return write_card(a.name, a.data)
    if a.run is None: raise SystemExit('ship_model: --run is required (unless --card-only)')
    run, out = Path(a.run), ROOT/'models'/a.name
    summary = json.loads((run/'summary.json').read_text()) if (run/'summary.json').is_file() else None
    if not summary or summary.get('interrupted'): raise SystemExit(f"ship_model: '{run}' is not a finished run (summary.json missing or interrupted)")
    if not (run/'train_seconds.json').is_file():
        raise SystemExit(f"ship_model: '{run}' has no train_seconds.json (the wall time and command the card needs): train it with benchmarks/quality_ablation.py")
    train = {**json.loads((run/'train_seconds.json').read_text()), 'steps': summary['steps']}
    edit = dict(kind=a.edit, gain=a.gain)
    scorers = IndependentScorers()
    (ROOT/'models').mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT/'models', prefix='.ship-') as tmp:          # same filesystem: the final rename is atomic
        stage = export_model(run, Path(tmp)/a.name, extra_files=('train_seconds.json',))      # built aside; replaces models/NAME at the end
        (stage/'edit.json').write_text(json.dumps(edit) + '\n')
        metrics = evaluate(stage, a.data, n=a.n, out=Path(tmp)/'eval', scorers=scorers, edit=a.edit, gain=a.gain)
        metrics = {**metrics, 'run': f'models/{a.name}', 'data': a.data}
        (stage/'metrics.json').write_text(json.dumps(metrics, indent=1) + '\n')
        baseline = {}
        if a.baseline:
            bt = Path(a.baseline)/'train_seconds.json'
            secs = json.loads(bt.read_text())['seconds'] if bt.is_file() else None
            for kind, gain in dict.fromkeys([('decode', 1.0), (a.edit, a.gain if a.edit == 'residual' else 1.0)]):
                label = 'baseline (' + ('plain decoding' if kind == 'decode' else f'{kind} ×{gain:g}') + ')'
                baseline[label] = {**evaluate(a.baseline, a.data, n=a.n, scorers=scorers, edit=kind, gain=gain, out=Path(tmp)/f'base-{kind}'), 'train_seconds': secs}
        cfg = json.loads((stage/'config.json').read_text())
        report = json.loads((Path(a.data)/'report.json').read_text())
        (stage/'MODEL_CARD.md').write_text(card(a.name, cfg, metrics, edit, train, baseline, report))
        size = metrics['image_size']
        shutil.copy(Path(tmp)/'eval'/'age_progression.png', ROOT/'figures'/'utkface'/f'shipped_{size}_age_progression.png')
        replace_dir(stage, out)
    models = {f"shipped `models/{a.name}` ({a.edit}" + (f" ×{a.gain:g}" if a.edit == 'residual' else '') + ')': {**metrics, 'train_seconds': train['seconds']}}
    models.update(baseline)
    (ROOT/'figures'/'utkface'/f'shipped_{size}.json').write_text(json.dumps(dict(kind='comparison', command='python ' + ' '.join(sys.argv), models=models), indent=1) + '\n')
    print(f"shipped {out}: ρ {metrics['age_control']['spearman']:.2f}, target MAE {metrics['age_control']['target_mae']:.1f}, "
          f"identity {metrics['identity']['retention']:.0%}, PSNR {metrics['recon']['psnr']:.1f} dB")

if __name__ == '__main__': main()
