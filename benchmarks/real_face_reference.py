#!/usr/bin/env python3
"""How do real people of the target ages score on the age-control benchmark? A reference for every model's numbers.

`agevae evaluate` edits each face to the targets 10 … 70 and asks the independent estimator how old the edits look.
Here the edits are replaced by real faces: for each target, faces of the split whose labelled age lies within
--window years of it, read by the same estimator at the cache's size, and summarised by the benchmark's own
statistics (`response_stats`: pooled Spearman ρ of (target, estimated age), target MAE). An edit that looked
exactly as old as real people of the target age would score about this. It is a reference, not an upper bound:
an exaggerated edit (a large residual gain) can read more consistently than real faces do, and score above it.

Faces near each target are read once; the statistics are then bootstrapped (--repeats draws of --per-target faces
per target, with replacement): the JSON holds the mean and the bootstrap sd of each.

Usage:
  python benchmarks/real_face_reference.py --data data/utkface-64 [--splits val,test] [--per-target 40] [--window 2] [--repeats 200]
Writes figures/<dataset>/real_face_reference_<size>.json (the cache folder's name where its report names no dataset;
one entry per split) and prints a line per split. The bootstrap sd describes draws of --per-target faces, not the
benchmark's own sample of 300 faces per target.
"""
import argparse, math, sys, time
from pathlib import Path
import numpy as np
from tqdm.auto import tqdm
from agevae.age_response import response_stats
from agevae.core import atomic_write_json
from agevae.data import FaceData
from agevae.core import TARGET_AGES
from agevae.evaluate import IndependentScorers, input_images

def near_targets(ages, targets, window:float) -> dict:
    "{target: indices into `ages` within `window` years of it}; an error naming the target where none is."
    ages = np.asarray(ages, float)
    out = {t: np.flatnonzero(np.abs(ages - t) <= window) for t in targets}
    for t, near in out.items():
        if len(near) == 0: raise SystemExit(f'no face is within {window:g} years of target {t}; widen --window')
    return out

def reference_stats(targets, est:np.ndarray) -> dict:
    "The benchmark's statistics (`response_stats`) of estimated ages `est` (n, T) of real faces at each target (columns), with each target's sd."
    return dict(response_stats(targets, est), sd_estimated_age=np.asarray(est, float).std(0).round(2).tolist())

def bootstrap_reference(targets, est_of:dict, per_target:int, repeats:int, seed:int=0) -> dict:
    "`reference_stats` over `repeats` draws of `per_target` faces per target from `est_of` {target: estimated ages}, with replacement: means and\n    bootstrap sds; `sd_estimated_age` is each target's spread over all its faces."
    rng = np.random.default_rng(seed)
    runs = [reference_stats(targets, np.stack([rng.choice(est_of[t], per_target, replace=True) for t in targets], 1)) for _ in range(repeats)]
    mean = lambda k: np.mean([r[k] for r in runs], 0)
    sd = lambda k: float(np.std([r[k] for r in runs]))
    return dict(mean_estimated_age=mean('mean_estimated_age').round(2).tolist(),
                sd_estimated_age=[round(float(np.std(est_of[t], ddof=1)), 2) for t in targets],   # the spread of all the faces near each target, not of a draw
                spearman=float(mean('spearman')), spearman_sd=sd('spearman'), target_mae=float(mean('target_mae')), target_mae_sd=sd('target_mae'),
                faces_available=[int(len(est_of[t])) for t in targets])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='data/utkface-64', help='a prepared cache (agevae prepare)')
    ap.add_argument('--splits', default='val,test', help='comma-separated splits of the cache')
    ap.add_argument('--per-target', type=int, default=40, help='faces per target in each bootstrap draw (few faces lie near the oldest targets)')
    ap.add_argument('--window', type=float, default=2.0, help='years either side of each target')
    ap.add_argument('--repeats', type=int, default=200, help='bootstrap draws'); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default=None, help='JSON to write (default: figures/<dataset>/real_face_reference_<size>.json)')
    a = ap.parse_args()
    if a.per_target < 2: raise SystemExit(f'--per-target must be at least 2, got {a.per_target}')
    if a.repeats < 1: raise SystemExit(f'--repeats must be at least 1, got {a.repeats}')
    if not (math.isfinite(a.window) and 0 <= a.window < 5): raise SystemExit(f'--window must be 0 to under 5 years (targets are 10 apart), got {a.window}')
    if a.seed < 0: raise SystemExit(f'--seed must be 0 or more, got {a.seed}')
    try: t0, data = time.time(), FaceData(a.data, device='cpu')
    except (FileNotFoundError, ValueError) as e: raise SystemExit(f'real_face_reference: {e}')
    splits = list(dict.fromkeys(s.strip() for s in a.splits.split(',') if s.strip()))
    bad = [s for s in splits if s not in data.splits or len(data.splits[s]) == 0]
    if not splits or bad: raise SystemExit(f"cache '{a.data}' has no (non-empty) split {bad or a.splits!r}; it has {sorted(data.splits)}")
    dataset = data.report.get('dataset') or Path(a.data).name
    out = Path(a.out or f'figures/{dataset}/real_face_reference_{data.size}.json')
    scorers = IndependentScorers()
    res = dict(kind='real_face_reference', command='python ' + ' '.join(sys.argv), data=str(a.data), size=int(data.size), targets=list(TARGET_AGES),
               per_target=a.per_target, window_years=a.window, seed=a.seed, repeats=a.repeats,
               description=(f'For each target age, real faces of the split whose labelled age is within {a.window:g} years of it, read by the '
                            f'independent age estimator at the cache size; the benchmark statistics of {a.per_target} of them per target, '
                            f'bootstrapped over {a.repeats} draws: what an edit as old-looking as real people of each target age would score.'), splits={})
    for split in splits:
        rows = data.splits[split].numpy()
        near = near_targets(data.age_years[rows].numpy(), TARGET_AGES, a.window)
        est_of = {t: scorers.ages(input_images(data, rows[near[t]])) for t in tqdm(TARGET_AGES, desc=f'{split}: estimate')}   # every face near each target, read once
        r = res['splits'][split] = bootstrap_reference(TARGET_AGES, est_of, a.per_target, a.repeats, a.seed)
        print(f"{split}: mean estimated age {', '.join(f'{v:.0f}' for v in r['mean_estimated_age'])}; ρ {r['spearman']:.3f} ± {r['spearman_sd']:.3f}; "
              f"target MAE {r['target_mae']:.2f} ± {r['target_mae_sd']:.2f} (bootstrap, {a.repeats} draws; faces near each target: {r['faces_available']})")
    res['seconds'] = round(time.time() - t0, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out, res); print(f'wrote {out}')

if __name__ == '__main__': main()
