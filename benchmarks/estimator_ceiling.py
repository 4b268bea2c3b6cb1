#!/usr/bin/env python3
"""What would a perfect age edit score? The benchmark's ceiling, set by the independent age estimator itself.

`agevae evaluate` edits each face to the targets 10 … 70 and asks the estimator how old the edits look. A perfect
edit would look exactly like a real person of the target age; so here the edits are replaced by real faces: for
each target, the same number of faces of the split whose labelled age lies within --window years of it, read by the
same estimator at the cache's size. Their Spearman ρ (target, estimated age) and target MAE are what a perfect edit
would score with this instrument (averaged over --repeats random draws, as one draw of 40 faces per target moves ρ by
about ±0.01); the gap between a model's numbers and these is the part a model can still close.

Usage:
  python benchmarks/estimator_ceiling.py --data data/utkface-64 [--per-target 40] [--window 2] [--repeats 20]
Writes figures/utkface/estimator_ceiling_<size>.json (one entry per split) and prints a table.
"""
import argparse, sys, time
from pathlib import Path
import numpy as np
from scipy.stats import spearmanr
from tqdm.auto import tqdm
from agevae.core import atomic_write_json
from agevae.data import FaceData
from agevae.evaluate import IndependentScorers, TARGETS

def near_targets(ages, targets, window:float, need:int) -> dict:
    "{target: indices into `ages` within `window` years of it}; an error naming the target where fewer than `need` are."
    out = {t: np.flatnonzero(np.abs(np.asarray(ages, float) - t) <= window) for t in targets}
    for t, near in out.items():
        if len(near) < need:
            raise SystemExit(f'only {len(near)} faces are within {window:g} years of target {t}; lower --per-target (now {need}) or widen --window')
    return out

def ceiling(targets, est:np.ndarray) -> dict:
    "Benchmark statistics of estimated ages `est` (per_target, T) of real faces at each target (columns)."
    t = np.broadcast_to(np.asarray(targets, float), est.shape)
    return dict(mean_estimated_age=est.mean(0), sd_estimated_age=est.std(0),
                spearman=float(spearmanr(t.ravel(), est.ravel())[0]), target_mae=float(np.abs(est - t).mean()))

def repeated_ceiling(targets, near:dict, est_of:dict, per_target:int, repeats:int, seed:int=0) -> dict:
    "`ceiling` over `repeats` draws of `per_target` faces per target (without replacement): means, and the sd of ρ and MAE across draws."
    rng, runs = np.random.default_rng(seed), []
    for _ in range(repeats):
        est = np.stack([est_of[t][rng.choice(len(near[t]), per_target, replace=False)] for t in targets], 1)   # (per_target, T)
        runs.append(ceiling(targets, est))
    mean = lambda k: np.mean([r[k] for r in runs], 0)
    return dict(mean_estimated_age=mean('mean_estimated_age').round(2).tolist(), sd_estimated_age=mean('sd_estimated_age').round(2).tolist(),
                spearman=float(mean('spearman')), spearman_sd=float(np.std([r['spearman'] for r in runs])),
                target_mae=float(mean('target_mae')), target_mae_sd=float(np.std([r['target_mae'] for r in runs])),
                faces_available=[int(len(near[t])) for t in targets])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='data/utkface-64', help='a prepared cache (agevae prepare)')
    ap.add_argument('--splits', default='val,test'); ap.add_argument('--per-target', type=int, default=40)
    ap.add_argument('--window', type=float, default=2.0, help='years either side of each target'); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--repeats', type=int, default=20, help='draws of --per-target faces per target; the table shows their mean')
    ap.add_argument('--out', default=None, help='JSON to write (default: figures/utkface/estimator_ceiling_<size>.json)')
    a = ap.parse_args()
    if a.per_target < 2: raise SystemExit(f'--per-target must be at least 2, got {a.per_target}')
    if a.repeats < 1: raise SystemExit(f'--repeats must be at least 1, got {a.repeats}')
    t0, data, scorers = time.time(), FaceData(a.data, device='cpu'), IndependentScorers()
    res = dict(kind='estimator_ceiling', command='python ' + ' '.join(sys.argv), data=str(a.data), size=int(data.size), targets=list(TARGETS),
               per_target=a.per_target, window_years=a.window, seed=a.seed, repeats=a.repeats,
               description=(f'For each target age, {a.per_target} real faces of the split whose labelled age is within {a.window:g} years of it, '
                            f'read by the independent age estimator at the cache size, averaged over {a.repeats} draws: the scores a perfect age edit would get.'), splits={})
    for split in a.splits.split(','):
        if split not in data.splits: raise SystemExit(f"cache '{a.data}' has no split {split!r}; it has {sorted(data.splits)}")
        rows = data.splits[split].numpy()
        near = near_targets(data.age_years[rows].numpy(), TARGETS, a.window, a.per_target)
        est_of = {t: scorers.ages(data.images[rows[near[t]]].permute(0, 2, 3, 1).numpy()) for t in tqdm(TARGETS, desc=f'{split}: estimate')}   # every face near each target, read once
        res['splits'][split] = repeated_ceiling(TARGETS, near, est_of, a.per_target, a.repeats, a.seed)
        r = res['splits'][split]
        print(f"{split}: mean estimated age {', '.join(f'{v:.0f}' for v in r['mean_estimated_age'])}; ρ {r['spearman']:.3f} ± {r['spearman_sd']:.3f}; "
              f"target MAE {r['target_mae']:.2f} ± {r['target_mae_sd']:.2f} (over {a.repeats} draws)")
    res['seconds'] = round(time.time() - t0, 1)
    out = Path(a.out or f'figures/utkface/estimator_ceiling_{data.size}.json'); out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out, res); print(f'wrote {out}')

if __name__ == '__main__': main()
