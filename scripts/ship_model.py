#!/usr/bin/env python3
"""Ship a finished run as the repository's model: `models/NAME/` with config.json, a weights-only checkpoint,
edit.json (how to edit ages with it), metrics.json from the TEST split and MODEL_CARD.md; the results file
`figures/utkface/shipped_<size>.json` the README table is rendered from, and the model's age-progression grid.

The protocol enforces itself: the residual gain is chosen on the VALIDATION split, from the candidates given, by the
rule in `choose_gain` (the largest gain whose moved-edit identity stays at or above --threshold); only then is the test
split scored, once. `models/NAME/test_scorings.json` records every test scoring of a model (by the SHA-256 of its
weights); a second one is refused unless --force, and a forced one is recorded as such.

Usage:
  python scripts/ship_model.py --run runs/ablation/NAME --data data/utkface-64 [--gains 1.25,1.5,1.75,2] [--threshold 0.85] \
      [--n-val 300] [--n 300] [--baseline runs/ablation/baseline-58min] [--name utkface-64] [--force]
"""
import argparse, json, shutil, sys, tempfile, time
from pathlib import Path
from agevae.evaluate import EvalSpec, evaluate, IndependentScorers, MOVED
from agevae.core import replace_dir, atomic_write_json
from agevae.checkpoint import export_model

ROOT = Path(__file__).resolve().parents[1]
EDIT_TEXT = dict(decode='plain decoding, D(z, target)', residual='residual, x + {g:g}·(D(z, target) − D(z, own age))',
                 extrapolate='extrapolated age, x + D(z, a + {g:g}·(target − a)) − D(z, a) for a face of age a')   # agevae.shift.EDITS

def reference_note(size:int) -> str:
    "What real faces of the target ages score on the test split (benchmarks/real_face_reference.py), where that file exists."
    p = ROOT/'figures'/'utkface'/f'real_face_reference_{size}.json'
    r = json.loads(p.read_text())['splits'].get('test') if p.is_file() else None
    if r is None: return ''
    return (f" Real faces of the target ages themselves score ρ {r['spearman']:.2f} ± {r['spearman_sd']:.2f} and target MAE "
            f"{r['target_mae']:.1f} ± {r['target_mae_sd']:.1f} years on the test split (`{p.relative_to(ROOT)}`, `benchmarks/real_face_reference.py`).")

def card(name, cfg, metrics, edit, train, baseline, data_report, choice=None) -> str:
    a, i, r = metrics['age_control'], metrics['identity'], metrics['recon']
    m, t = cfg['model'], cfg['train']
    line = lambda k, v: f'| {k} | {v} |'
    ci = metrics.get('intervals') or {}
    iv = lambda k, fmt: f" [{format(ci[k][0], fmt)}, {format(ci[k][1], fmt)}]" if ci.get(k) else ''
    chance = i.get('chance') or {}
    rows = [line('mean estimated age at targets ' + ', '.join(f'{v:.0f}' for v in a['targets']), ', '.join(f'{v:.0f}' for v in a['mean_estimated_age'])),
            line('Spearman ρ (target, estimated age)', f"{a['spearman']:.3f}{iv('spearman', '.3f')}"),
            line('target-age MAE', f"{a['target_mae']:.2f} years{iv('target_mae', '.2f')}"),
            line(f"identity kept by the moved edits (targets {MOVED}+ years from the face's own age; dlib distance < 0.6)",
                 f"{i['retention_moved']:.1%}{iv('retention_moved', '.1%')}" if i.get('retention_moved') is not None else '–'),
            line('identity kept by all edits', f"{i['retention']:.1%}{iv('retention', '.1%')}"),
            line("the identity metric's false accepts on these faces' pairs: different photos / same gender within 5 years (chance level)",
                 f"{chance['different_people']:.1%} / {chance['same_gender_within_5_years']:.1%}" if chance.get('same_gender_within_5_years') is not None else '–'),
            line('identity kept by the plain reconstruction', f"{i['reconstruction_retention']:.0%}"),
            line('reconstruction PSNR / SSIM, D(z, own age), whole test split', f"{r['psnr']:.2f} dB{iv('psnr', '.2f')} / {r['ssim']:.3f}"),
            line("the estimator's own MAE on the real inputs (a reference, not a floor: edits can score below it)", f"{a['estimator_mae_on_inputs']:.1f} years")]
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
Copies of one photo (exact, or near at 16 × 16 grey) share a split (`agevae prepare --dedupe group`): no test face is a copy of a
training face ({_count(data_report, 'groups')} groups of copies, {_count(data_report, 'rows')} faces).
**UTKFace is for non-commercial research only**; so is this model, which was trained on it.

## Settings
Model: {json.dumps(m)}

Training: {json.dumps({k: v for k, v in t.items() if k not in ('data', 'out')})}

Editing ages (`edit.json`): {EDIT_TEXT[edit['kind']].format(g=edit['gain'])}.
{gain_note(choice)}

Command: `{train.get('command', 'not recorded')}` — {train['seconds'] / 60:.0f} minutes of training on 2 CPU cores (wall time, as recorded in
train_seconds.json){f", {train['steps']:,} steps" if train.get('steps') else ''}{f" (a {t['minutes']:g}-minute time budget: `train.minutes`)" if t.get('minutes') else ''}.

## The age-control benchmark (test split, {metrics['n_faces']} age-stratified faces; [95 % bootstrap intervals over faces])
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

def gain_note(choice) -> str:
    "How the gain was chosen, from validation.json."
    if not choice: return ''
    c = ', '.join(f"×{g}: {_pct(v['identity_moved'])}" for g, v in choice['candidates'].items())
    return (f"The gain was chosen on the validation split ({choice['n_faces']} faces) by `scripts/ship_model.py`'s rule, {choice['rule']}: "
            f"moved-edit identity {c} (`validation.json`).")

def write_card(name, data):
    "MODEL_CARD.md of models/NAME from its metrics.json, config.json, edit.json, train_seconds.json and the shipped results file."
    out = ROOT/'models'/name
    metrics = json.loads((out/'metrics.json').read_text())
    res = json.loads((ROOT/'figures'/'utkface'/f"shipped_{metrics['image_size']}.json").read_text())['models']
    baseline = {k: v for k, v in res.items() if k.startswith(('baseline', 'seed baseline'))}
    rd = lambda f: json.loads((out/f).read_text())
    (out/'MODEL_CARD.md').write_text(card(name, rd('config.json'), metrics, rd('edit.json'), rd('train_seconds.json'), baseline,
                                          json.loads((Path(data)/'report.json').read_text()), rd('validation.json') if (out/'validation.json').is_file() else None))

def choose_gain(val:dict, threshold:float) -> float:
    "The rule: the largest candidate gain whose moved-edit identity retention on validation (point estimate) is at least `threshold`."
    ok = [g for g, m in val.items() if (m['identity'].get('retention_moved') or 0) >= threshold]
    if not ok:
        seen = ', '.join(f"×{g:g} {m['identity'].get('retention_moved') or 0:.1%}" for g, m in sorted(val.items()))
        raise ValueError(f'no candidate gain keeps {threshold:.0%} of identities over moved edits on the validation split ({seen}); '
                         'try smaller gains with --gains')
    return max(ok)

def model_digest(run) -> str:
    "SHA-256 of a run's weights (every tensor of its state dict, by name): the same model, wherever its files lie."
    import hashlib, torch
    p = Path(run); ck = torch.load(p/'checkpoints'/'last.pt' if p.is_dir() else p, map_location='cpu', weights_only=True)
    h = hashlib.sha256()
    for k in sorted(ck['model']): h.update(k.encode()); h.update(ck['model'][k].detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()

def split_digest(cache, split:str) -> str:
    "The digest of a split's faces (file name, age, person) in a cache, as its fingerprint records it."
    from agevae.preprocess import read_cache
    from agevae.data import split_fingerprint
    _, faces, report = read_cache(cache)
    return split_fingerprint(faces, report)['splits'][split]['digest']

def summary_of(m:dict) -> dict:
    "The headline numbers of a metrics.json, with their intervals."
    a, i = m['age_control'], m['identity']
    return dict(n_faces=m['n_faces'], split=m['data_check']['split'], edit=m['edit'], spearman=a['spearman'], target_mae=a['target_mae'],
                identity=i['retention'], identity_moved=i.get('retention_moved'), psnr=m['recon']['psnr'], intervals=m.get('intervals'))

def _count(report:dict, key:str) -> str:
    v = (report.get('duplicates') or {}).get(key)
    return '?' if v is None else f'{v:,}'

def _pct(v) -> str: return '–' if v is None else f'{v:.1%}'

def _fail(msg):
    print(f'ship_model: {msg}', file=sys.stderr); raise SystemExit(2)

def parse(argv=None):
    ap = argparse.ArgumentParser(description='Choose the gain on validation by a fixed rule, then score the test split once and ship the model.')
    ap.add_argument('--run', help='the finished run to ship'); ap.add_argument('--data', default='data/utkface-64')
    ap.add_argument('--edit', default='residual', choices=('decode', 'residual'))
    ap.add_argument('--gains', default='1.25,1.5,1.75,2', help='candidate residual gains, tried on the validation split')
    ap.add_argument('--threshold', type=float, default=0.85, help='moved-edit identity the chosen gain must keep on validation')
    ap.add_argument('--n-val', type=int, default=300, help='validation faces per candidate gain')
    ap.add_argument('--baseline', help="a baseline run trained for the same wall time, scored with plain decoding and with the shipped model's edit, for contrast")
    ap.add_argument('--n', type=int, default=300, help='test faces'); ap.add_argument('--name', default='utkface-64')
    ap.add_argument('--force', action='store_true', help='score the test split although this model was scored on it before (recorded as forced)')
    ap.add_argument('--root', default=str(ROOT), help='where models/ and figures/ are written (the repository)')
    ap.add_argument('--card-only', action='store_true', help="rewrite models/NAME/MODEL_CARD.md from the committed JSON files, without evaluating")
    a = ap.parse_args(argv)
    try: a.gains = sorted({float(g) for g in a.gains.split(',')}) if a.edit == 'residual' else [1.0]
    except ValueError: _fail(f'--gains must be numbers separated by commas, got {a.gains!r}')
    if a.n_val < 1 or a.n < 1: _fail(f'--n-val and --n must be at least 1, got {a.n_val} and {a.n}')
    return a

def main(argv=None):
    a = parse(argv)
    root = Path(a.root)
    if a.card_only: return write_card(a.name, a.data)
    if a.run is None: _fail('--run is required (unless --card-only)')
    run, out = Path(a.run), root/'models'/a.name
    summary = json.loads((run/'summary.json').read_text()) if (run/'summary.json').is_file() else None
    if not summary or summary.get('interrupted'): _fail(f"'{run}' is not a finished run (summary.json missing or interrupted)")
    if not (run/'train_seconds.json').is_file():
        _fail(f"'{run}' has no train_seconds.json (the wall time and command the card needs): train it with benchmarks/quality_ablation.py")
    digest = model_digest(run)
    old = out/'test_scorings.json'
    scorings = json.loads(old.read_text()) if old.is_file() else []
    before = [(f, s) for f in sorted((root/'models').glob('*/test_scorings.json')) for s in json.loads(f.read_text())
              if s.get('model_sha256') == digest]                                  # the same weights under any name
    if before and not a.force:
        _fail(f"this model was scored on the test split before ({len(before)} time(s), last {before[-1][1]['when']}, recorded in '{before[-1][0]}'); "
              'choose on validation and report once: pass --force to score it again (recorded as forced)')
    train = {**json.loads((run/'train_seconds.json').read_text()), 'steps': summary['steps']}
    scorers = IndependentScorers()
    try:                                                                    # 1. validation only: the gain, by the rule above
        val = {g: evaluate(run, a.data, None, EvalSpec('val', a.n_val, edit=a.edit, gain=g), scorers) for g in a.gains}
        gain = choose_gain(val, a.threshold) if a.edit == 'residual' else 1.0
    except ValueError as e: _fail(str(e))
    print(f"validation ({a.n_val} faces): " + ', '.join(f"×{g:g} moved-edit identity {_pct(m['identity']['retention_moved'])}, ρ {m['age_control']['spearman']:.3f}"
                                                      for g, m in val.items()) + f'; chosen ×{gain:g}')
    edit = dict(kind=a.edit, gain=gain)
    (root/'models').mkdir(parents=True, exist_ok=True); (root/'figures'/'utkface').mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root/'models', prefix='.ship-') as tmp:          # same filesystem: the final rename is atomic
        stage = export_model(run, Path(tmp)/a.name, extra_files=('train_seconds.json',))      # built aside; replaces models/NAME at the end
        (stage/'edit.json').write_text(json.dumps(edit) + '\n')
        choice = dict(rule=f'the largest gain whose moved-edit identity on validation is at least {a.threshold:g}', threshold=a.threshold,
                      chosen=gain, n_faces=a.n_val, command='python ' + ' '.join(['scripts/ship_model.py'] + (argv or sys.argv[1:])),
                      candidates={f'{g:g}': summary_of(m) for g, m in val.items()})
        (stage/'validation.json').write_text(json.dumps(choice, indent=1) + '\n')
        metrics = evaluate(stage, a.data, Path(tmp)/'eval', EvalSpec(n=a.n, edit=a.edit, gain=gain), scorers)   # 2. the test split, once
        metrics = {**metrics, 'run': f'models/{a.name}', 'data': a.data}
        (stage/'metrics.json').write_text(json.dumps(metrics, indent=1) + '\n')
        scorings.append(dict(when=time.strftime('%Y-%m-%dT%H:%M:%S'), model_sha256=digest, forced=bool(before), command=choice['command'],
                             split_digest=split_digest(a.data, 'test'), **summary_of(metrics)))
        atomic_write_json(old, scorings)                                    # recorded at once: a later failure cannot hide this scoring
        shutil.copy(old, stage/'test_scorings.json')
        baseline = {}
        if a.baseline:
            bt = Path(a.baseline)/'train_seconds.json'
            secs = json.loads(bt.read_text())['seconds'] if bt.is_file() else None
            for kind, g in dict.fromkeys([('decode', 1.0), (a.edit, gain if a.edit == 'residual' else 1.0)]):
                label = 'baseline (' + ('plain decoding' if kind == 'decode' else f'{kind} ×{g:g}') + ')'
                baseline[label] = {**evaluate(a.baseline, a.data, Path(tmp)/f'base-{kind}', EvalSpec(n=a.n, edit=kind, gain=g), scorers), 'train_seconds': secs}
        cfg = json.loads((stage/'config.json').read_text())
        report = json.loads((Path(a.data)/'report.json').read_text())
        (stage/'MODEL_CARD.md').write_text(card(a.name, cfg, metrics, edit, train, baseline, report, choice))
        size = metrics['image_size']
        shutil.copy(Path(tmp)/'eval'/'age_progression.png', root/'figures'/'utkface'/f'shipped_{size}_age_progression.png')
        replace_dir(stage, out)
    models = {f"shipped `models/{a.name}` ({a.edit}" + (f" ×{gain:g}" if a.edit == 'residual' else '') + ')': {**metrics, 'train_seconds': train['seconds']}}
    models.update(baseline)
    (root/'figures'/'utkface'/f'shipped_{size}.json').write_text(json.dumps(dict(kind='comparison', command=choice['command'], models=models), indent=1) + '\n')
    i = metrics['intervals']
    print(f"shipped {out}: ρ {metrics['age_control']['spearman']:.3f} {i['spearman']}, target MAE {metrics['age_control']['target_mae']:.2f} {i['target_mae']}, "
          f"moved-edit identity {_pct(metrics['identity']['retention_moved'])} {i['retention_moved']}, identity {metrics['identity']['retention']:.1%}, "
          f"PSNR {metrics['recon']['psnr']:.2f} dB {i['psnr']}")
    return metrics

if __name__ == '__main__': main()
