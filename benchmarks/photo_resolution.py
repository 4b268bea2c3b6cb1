#!/usr/bin/env python3
"""Whole photos at their own resolution against 64 px chips: the same faces, targets and model, both read by the independent scorers.

For each face of an age-stratified sample of a cache's split, the original file (UTKFace's 200 px chip, not the 64 px
cache) goes through `agevae shift`'s own code (`PhotoAger`: detection, alignment, the model's edit, the inverse warp
and the face mask) with the labelled age and gender. Two outputs per target are scored:
  - chip: the edited 64 px chip, as `agevae evaluate` scores edits;
  - photo: the whole photo at its own resolution, the model's change carried back onto it.
Each is read by the age estimator (Spearman ρ, target MAE) and compared with its own input by dlib's identity
embedding (identity kept, all edits and moved ones: targets at least 10 years from the labelled age), with 95 %
bootstrap intervals over faces. Fine detail: the high-pass energy (grey level minus its Gaussian blur, sigma 1 px)
inside the face mask, relative to the input's, where the chip is shown at the photo's size (bicubic). Time: the
seconds per photo of `PhotoAger` (detection to warp; the model loaded once), median and 90th percentile.

Usage:
  python benchmarks/photo_resolution.py --data data/utkface-64 [--run models/utkface-64] [--split test] [--n 300]
      [--root DIR (where the original files are, if they moved)] [--out figures/utkface/photo_resolution.json]
"""
import argparse, csv, sys, time
from pathlib import Path
import numpy as np
import torch
from scipy.ndimage import gaussian_filter
from tqdm.auto import tqdm
from agevae.core import atomic_write_json
from agevae.data import FaceData
from agevae.core import TARGET_AGES
from agevae.evaluate import IndependentScorers, benchmark_metrics, bootstrap_intervals, score_edits, stratified_sample
from agevae import photo
from agevae.photo import FACE_MASK, Ageing, PhotoAger, chip_points, chip_region, face_mask, sample_chip
from agevae.preprocess import PhotoError, load_photo

def chip_at_photo_size(chip:np.ndarray, matrix, shape) -> np.ndarray:
    "The chip (S, S, 3) uint8 shown at the photo's size: sampled bicubically under the photo's pixels (H, W, 3) float, 0 outside it."
    out = np.zeros((*shape[:2], 3), np.float32)
    x0, y0, x1, y1 = r = chip_region(matrix, chip.shape[0], shape)
    out[y0:y1, x0:x1] = sample_chip(np.moveaxis(chip, -1, 0)[None], matrix, r)[0][0]
    return out

def mask_weight(matrix, size:int, shape) -> np.ndarray:
    "Where the detail is measured: the photo's pixels (H, W) inside a fixed ellipse of the chip, whatever mask the edit used."
    out = np.zeros(shape[:2])
    x0, y0, x1, y1 = r = chip_region(matrix, size, shape)
    out[y0:y1, x0:x1] = face_mask(chip_points(matrix, size, r), radii=(0.47, 0.49), power=2, solid=0.7) > 0.5   # the same region for every mask
    return out

def detail(im, weight) -> float:
    "High-pass energy of `im` (H, W, 3) in grey levels², weighted by `weight` (H, W)."
    g = np.asarray(im, np.float64).mean(-1)
    return float(((g - gaussian_filter(g, 1.0)) ** 2 * weight).sum() / weight.sum())

def summary(targets, sc, true_age) -> dict:
    "The benchmark's numbers and their intervals for one kind of output."
    m = benchmark_metrics(targets, sc['estimated'], sc['distance'], sc['input_age'], true_age)
    return dict(m, intervals=bootstrap_intervals(targets, sc['estimated'], sc['distance'], true_age))

def csv_row(res) -> dict:
    "One row of the mask ablation (--csv): the mask, the split and both outputs' numbers, with the command."
    m = res['mask']
    row = dict(mask=m if m == 'none' else f"{m['radii'][0]:g},{m['radii'][1]:g},{m.get('power', 2):g},{m['solid']:g}", split=res['split'], n=res['n'])
    for k in ('chip', 'photo'):
        r = res[k]
        row.update({f'{k}_spearman': round(r['age_control']['spearman'], 4), f'{k}_target_mae': round(r['age_control']['target_mae'], 3),
                    f'{k}_retention_moved': round(r['identity']['retention_moved'], 4), f'{k}_detail': round(r['detail_ratio']['mean'], 3)})
    return dict(row, command=res['command'])

def append_csv(path, row:dict):
    "Append `row` to the CSV at `path` (with a header when new)."
    new = not Path(path).is_file()
    with open(path, 'a', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(row)); new and w.writeheader(); w.writerow(row)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='data/utkface-64'); ap.add_argument('--run', default='models/utkface-64')
    ap.add_argument('--split', default='test', choices=('val', 'test')); ap.add_argument('--n', type=int, default=300)
    ap.add_argument('--root', help='folder of the original files, where they are no longer at the paths the cache recorded')
    ap.add_argument('--out', default='figures/utkface/photo_resolution.json')
    ap.add_argument('--csv', help='also append a row to this CSV (the mask ablation: figures/utkface/photo_mask_ablation.csv)')
    ap.add_argument('--mask', help="RX,RY[,POWER],SOLID: another face mask (POWER 2, an ellipse, where left out) (agevae.photo.FACE_MASK), for choosing it on the validation split; "
                                   "none: the whole chip's change, unmasked (a reference: it changes the photo up to the chip's square edge)")
    a = ap.parse_args(argv)
    if a.mask == 'none': photo.face_mask = lambda q, *args, **kw: np.ones(np.shape(q)[:-1])
    elif a.mask:
        v = [float(x) for x in a.mask.split(',')]
        if len(v) not in (3, 4): sys.exit(f'--mask: expected RX,RY[,POWER],SOLID, got {a.mask!r}')
        FACE_MASK.update(radii=tuple(v[:2]), power=v[2] if len(v) == 4 else 2.0, solid=v[-1])
    data, ager = FaceData(a.data), PhotoAger.from_run(a.run)
    rows = stratified_sample(data.faces, data.splits[a.split], a.n, seed=0)
    targets, ins_c, outs_c, ins_p, outs_p, ages, seconds, ratios, skipped = list(TARGET_AGES), [], [], [], [], [], [], [], []
    for i in tqdm(rows, desc='ageing photos', unit='photo'):
        f = data.faces.iloc[i]
        path = Path(a.root)/Path(f.path).name if a.root else Path(f.path)
        try:
            img = load_photo(path); start = time.perf_counter()
            r = ager(img, Ageing(targets, age=float(f.age), gender=int(f.gender)), path)
            seconds.append(time.perf_counter() - start)
        except PhotoError as e: skipped.append(dict(file=path.name, reason=e.reason)); continue
        w = mask_weight(r['faces'][0]['matrix'], ager.size, img.shape)
        base = detail(img, w)
        ratios.append([[detail(chip_at_photo_size(c, r['faces'][0]['matrix'], img.shape), w) / base for c in r['chips'][0][1:]],
                       [detail(p, w) / base for p in r['photos']]])
        ins_c.append(r['chips'][0][0]); outs_c.append(r['chips'][0][1:]); ins_p.append(img); outs_p.append(r['photos']); ages.append(float(f.age))
    if not ages: sys.exit(f'no face was found in any of the {len(rows)} files; is --root right?')
    scorers, true_age = IndependentScorers(), np.array(ages)
    res = dict(kind='photo_resolution', command='python benchmarks/' + Path(__file__).name + ' ' + ' '.join(sys.argv[1:] if argv is None else argv),
               run=str(a.run), mask='none' if a.mask == 'none' else FACE_MASK, edit=ager.edit, gain=ager.gain, split=a.split, sampled=len(rows), n=len(ages), skipped=skipped, targets=targets,
               photo_size=[int(np.median([p.shape[1] for p in ins_p])), int(np.median([p.shape[0] for p in ins_p]))])
    ratios = np.array(ratios)                                                                 # (N, 2, T)
    for k, (ins, outs) in dict(chip=(ins_c, outs_c), photo=(ins_p, outs_p)).items():
        ins, outs = np.stack(ins), np.stack(outs)
        res[k] = summary(targets, score_edits(scorers, ins, ins, outs), true_age)
        d = ratios[:, 0 if k == 'chip' else 1].mean(1)                                        # per face
        boot = np.random.default_rng(0).integers(0, len(d), (1000, len(d)))
        res[k]['detail_ratio'] = dict(mean=float(d.mean()), interval=np.percentile(d[boot].mean(1), [2.5, 97.5]).round(4).tolist())
    res['seconds_per_photo'] = dict(median=float(np.median(seconds)), p90=float(np.percentile(seconds, 90)), threads=torch.get_num_threads())
    Path(a.out).parent.mkdir(parents=True, exist_ok=True); atomic_write_json(a.out, res)
    if a.csv: append_csv(a.csv, csv_row(res))
    for k in ('chip', 'photo'):
        ac, idn = res[k]['age_control'], res[k]['identity']
        print(f"{k:5s}: rho {ac['spearman']:.3f}, target MAE {ac['target_mae']:.2f}, identity kept (moved) {idn['retention_moved']:.1%}, "
              f"detail {res[k]['detail_ratio']['mean']:.2f} of the input's")
    print(f"{res['n']} faces ({len(skipped)} skipped), {res['seconds_per_photo']['median']:.3f} s per photo (median): {a.out}")

if __name__ == '__main__': main()
