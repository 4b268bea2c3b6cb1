#!/usr/bin/env python3
"""Does the age condition move the age? Synthetic faces, CPU-sized models, the same training budget for each.

Trains each model on the same synthetic cache with the same steps and batch size, then decodes 200 held-out
faces at target ages 10..70 and reads their age with an independent estimator trained on fresh renders of the
generator (agevae.age_response). Prints one row per model.

Usage: python benchmarks/synthetic_age_control.py [--steps 600] [--batch 64] [--models decoder,latent,baseline] [--out runs/synthetic-bench]
"""
import argparse, json, sys, time
from dataclasses import replace
from pathlib import Path
import torch
from agevae.age_response import synthetic_age_estimator, age_response
from agevae.data import FaceData
from agevae.evaluate import split_recon_metrics
from agevae.model import VAEConfig, AgeRegressor
from agevae.preprocess import prepare_dataset
from agevae.train import TrainConfig, train, baseline_configs
from agevae.checkpoint import load_model

ap = argparse.ArgumentParser()
ap.add_argument('--steps', type=int, default=600); ap.add_argument('--batch', type=int, default=64)
ap.add_argument('--models', default='decoder,latent,baseline'); ap.add_argument('--out', default='runs/synthetic-bench')
ap.add_argument('--n', type=int, default=4000); ap.add_argument('--size', type=int, default=64)
ap.add_argument('--results', default='figures/synthetic/age_control.json', help='the results file the README table is rendered from')
a = ap.parse_args()
out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
cache = f'data/synthetic{a.n}-{a.size}'
prepare_dataset('synthetic', None, cache, size=a.size, n=a.n, progress=False)
data = FaceData(cache)

est_path = out/'synthetic_age_estimator.pt'
est = AgeRegressor()
if est_path.exists(): est.load_state_dict(torch.load(est_path, weights_only=True)); est.eval().requires_grad_(False); est_mae = json.loads((out/'estimator.json').read_text())['mae']
else:
    t = time.time(); est, est_mae = synthetic_age_estimator(a.size, progress=False)
    torch.save(est.state_dict(), est_path); (out/'estimator.json').write_text(json.dumps(dict(mae=est_mae, seconds=time.time() - t)))
print(f'independent synthetic age estimator: MAE {est_mae:.2f} years on held-out renders')

small = json.loads(Path('configs/cpu-small.json').read_text())
base = VAEConfig(**{**small['model'], 'image_size': a.size})
tkw = dict(data=cache, steps=a.steps, batch_size=a.batch, log_every=50, sample_every=0, ckpt_every=0)
runs = {}
for name in a.models.split(','):
    if name in ('seed', 'baseline'): mcfg, tcfg = baseline_configs(a.size, **tkw)
    else: mcfg, tcfg = replace(base, age_mode=name), TrainConfig(**{**small['train'], **tkw})
    run = out/name
    t = time.time()
    if not (run/'summary.json').exists(): train(replace(tcfg, out=str(run)), mcfg, resume=(run/'checkpoints'/'last.pt').exists(), progress=False)
    m = load_model(run)
    r = age_response(m, data, est)
    rec = split_recon_metrics(m, data, data.splits['test'])                # the whole test split, in chunks; per-image PSNR, averaged
    runs[name] = dict(**r, recon_mse=rec['mse'], psnr=rec['psnr'], ssim=rec['ssim'], train_seconds=time.time() - t,
                      params=sum(p.numel() for p in m.parameters()))
    (out/'results.json').write_text(json.dumps(runs, indent=1))
Path(a.results).parent.mkdir(parents=True, exist_ok=True)
Path(a.results).write_text(json.dumps(dict(kind='synthetic_age_control', command='python ' + ' '.join(sys.argv), steps=a.steps, batch=a.batch,
                                           n=a.n, size=a.size, estimator_mae=est_mae, models=runs), indent=1) + '\n')

print(f"\n{a.steps} steps x batch {a.batch} on {a.n} synthetic faces at {a.size} px, 200 held-out faces, targets 10..70 years")
print(f"{'model':<9} {'mean estimated age at 10, 20, ..., 70':<44} {'spearman':>8} {'slope':>6} {'MAE':>6} {'PSNR':>6} {'train s':>8}")
for name, r in runs.items():
    print(f"{name:<9} {', '.join(f'{v:.0f}' for v in r['mean_estimated_age']):<44} {r['spearman']:>8.2f} {r['slope']:>6.2f} "
          f"{r['target_mae']:>6.1f} {r['psnr']:>6.1f} {r['train_seconds']:>8.0f}")
