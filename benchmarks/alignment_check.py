#!/usr/bin/env python3
"""Does `agevae prepare --crop align` reproduce UTKFace's framing, and what do the shipped model and the age
estimator make of faces framed that way?

Takes N age-stratified faces of the cache's test split (as `agevae evaluate` samples them), reads each original
200 px chip, and frames it three ways at the cache's size:
  original     the chip resized, as `agevae prepare` caches it (the framing the model was trained on);
  realigned    the chip re-aligned with `crop='align'` (dlib's 5 landmarks onto FACE_TEMPLATE);
  face_chip    dlib's get_face_chip with padding 0.25 on the same landmarks (what `agevae shift` used before).
For each: the model's reconstruction PSNR / SSIM (its own output D(z, own age), `recon_metrics` as everywhere)
and the independent estimator's age MAE against the true age; and the framing error: how far the chips'
landmarks lie from FACE_TEMPLATE before and after re-aligning (fractions of the side).

Usage:
  python benchmarks/alignment_check.py --data data/utkface-64 --n 300
Writes figures/utkface/alignment_<size>.json and prints a table.
"""
import argparse, sys, time
from pathlib import Path
import dlib
import numpy as np
import torch
from agevae.core import atomic_write_json
from agevae.data import FaceData
from agevae.evaluate import IndependentScorers, shipped_model, stratified_sample
from agevae.metrics import stream_recon_metrics
from agevae.preprocess import FACE_TEMPLATE, FaceCrop, load_photo, load_face, face_landmarks, align_to_template, similarity_transform
from agevae.checkpoint import load_model

ap = argparse.ArgumentParser()
ap.add_argument('--data', default='data/utkface-64', help='the prepared UTKFace cache the model was trained on')
ap.add_argument('--root', default=None, help="the UTKFace folder, where the cache's paths do not exist (default: the cache's paths)")
ap.add_argument('--run', default=None, help='model run folder (default: the shipped models/utkface-64)')
ap.add_argument('--n', type=int, default=300); ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--split', default='test', choices=('val', 'test'))
ap.add_argument('--out', default=None, help='JSON to write (default: figures/utkface/alignment_<size>.json)')
ap.add_argument('--threads', type=int, default=1, help='torch CPU threads')
a = ap.parse_args()
t0 = time.time(); torch.set_num_threads(a.threads)
run = Path(a.run) if a.run else shipped_model()
model, data, scorers = load_model(run), FaceData(a.data, device='cpu'), IndependentScorers()
size = data.size
rows = stratified_sample(data.faces, data.splits[a.split].numpy(), a.n, a.seed)

def chip_path(p):
    p = Path(p)
    return p if p.exists() or a.root is None else Path(a.root)/p.name

def unit(points, side): return (np.asarray(points) + 0.5) / side                  # pixel indices → fractions of the side

def face_chip(img, points):
    "What `agevae shift` did before crop='align': dlib's get_face_chip with padding 0.25, here on the same landmarks."
    parts = dlib.points([dlib.point(int(x), int(y)) for x, y in points])
    shape = dlib.full_object_detection(dlib.rectangle(*map(int, (*points.min(0), *points.max(0)))), parts)
    return np.asarray(dlib.get_face_chip(img, shape, size=size, padding=0.25))

sets = dict(original=[], realigned=[], face_chip=[])
kept, missed, cache_diff = [], [], []
before, after, fit, moved, scale, rot, shift, pix = [], [], [], [], [], [], [], []
for r in rows:
    path = chip_path(data.faces.path.iloc[r]); img = load_photo(path); side = img.shape[1]
    original = load_face(path, size)[0]                                             # as `agevae prepare` (crop auto) caches it
    cache_diff.append(int(np.abs(original.astype(int) - data.images[r].numpy().transpose(1, 2, 0)).max()))
    realigned, why = load_face(path, size, crop=FaceCrop(align=True))               # as `agevae prepare --crop align` caches it
    p = face_landmarks(img)
    if realigned is None or p is None: missed.append(path.name); continue
    chip = face_chip(np.ascontiguousarray(img), p)
    kept.append(r)
    for k, v in zip(sets, (original, realigned, chip)): sets[k].append(v)
    w = similarity_transform(FACE_TEMPLATE, unit(p, side))                          # the warp: re-aligned → chip, unit coordinates
    inv = np.linalg.inv(w[:, :2]); m = np.hstack([inv, -(inv @ w[:, 2])[:, None]])  # chip → re-aligned chip
    before.append(np.linalg.norm(unit(p, side) - FACE_TEMPLATE, axis=1).mean())
    k_, ang = np.linalg.norm(m[:, 0]), np.degrees(np.arctan2(m[1, 0], m[0, 0]))
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 17), np.linspace(0, 1, 17)), -1).reshape(-1, 2)
    fit.append(np.linalg.norm(unit(p, side) @ m[:, :2].T + m[:, 2] - FACE_TEMPLATE, axis=1).mean())   # where the warp puts them
    moved.append(np.linalg.norm(unit(p, side) @ m[:, :2].T + m[:, 2] - unit(p, side), axis=1).mean())
    pix.append(np.linalg.norm(grid @ m[:, :2].T + m[:, 2] - grid, axis=1).mean())  # how far the frame's points move
    scale.append(k_); rot.append(ang); shift.append(np.linalg.norm(np.array([0.5, 0.5]) @ m[:, :2].T + m[:, 2] - 0.5))
    big, _ = align_to_template(img, p, side)                                        # re-aligned at full size, landmarks found again
    q = face_landmarks(big)
    if q is not None: after.append(np.linalg.norm(unit(q, side) - FACE_TEMPLATE, axis=1).mean())

kept = np.array(kept, int); true_age = data.age_years[kept].numpy()

@torch.no_grad()
def score(images):
    "Reconstruction metrics of D(z, own age) and the estimator's ages of (N, S, S, 3) uint8 faces."
    ims = np.stack(images); lo, hi = data.pixel_range
    def pairs():
        for s in range(0, len(ims), 100):
            b = data.batch(torch.as_tensor(kept[s:s + 100]))
            b['x'] = torch.from_numpy(ims[s:s + 100]).permute(0, 3, 1, 2).float().div(255) * (hi - lo) + lo
            yield b['x'], model(b)['x_hat'].float()
    m = stream_recon_metrics(pairs())
    est = scorers.ages(ims)
    err = est - true_age
    return dict(psnr=m['psnr'], ssim=m['ssim'], estimator_mae=float(np.abs(err).mean()),
                estimator_bias=float(err.mean()), n=len(ims))

results = {k: score(v) for k, v in sets.items()}
o, ra = np.stack(sets['original']).astype(float), np.stack(sets['realigned']).astype(float)
agree = float(np.mean(10 * np.log10(255 ** 2 / np.maximum(((o - ra) ** 2).mean((1, 2, 3)), 1e-10))))
mean = lambda v: float(np.mean(v))
res = dict(
    kind='alignment_check',
    description=(f"UTKFace {a.split} split, {len(kept)} of {len(rows)} age-stratified faces (seed {a.seed}) in which dlib finds a face; "
                 f"each original 200 px chip at {size} px as prepared (original), re-aligned with `agevae prepare --crop align` (realigned), "
                 f"and framed on the same landmarks by dlib's get_face_chip with padding 0.25, as the earlier `agevae shift` did (face_chip); the model's reconstruction "
                 f"D(z, own age) and the independent estimator's age error on each."),
    command='python ' + ' '.join(sys.argv), run=str(run), data=str(a.data), split=a.split, seed=a.seed, size=size,
    n_sampled=len(rows), n_scored=len(kept), no_face=dict(count=len(missed), examples=missed[:5]),
    cache_matches_original=dict(max_abs_difference=int(max(cache_diff))),
    template=FACE_TEMPLATE.tolist(),
    framing=dict(chips_to_template=mean(before), realigned_to_template=mean(after), realigned_redetected=len(after), warped_to_template=mean(fit),
                 landmark_move=mean(moved), frame_move=mean(pix), scale_mean=mean(scale), scale_sd=float(np.std(scale)),
                 rotation_deg_mean=mean(rot), rotation_deg_sd=float(np.std(rot)), centre_shift=mean(shift),
                 psnr_realigned_vs_original=agree,
                 units='fractions of the side; *_to_template: mean distance of the 5 landmarks from FACE_TEMPLATE (realigned: found again by dlib in the chip re-aligned at full size; warped: the chip\'s landmarks carried by the warp, the fit\'s residual); '
                       'landmark_move / frame_move: mean distance the chip\'s landmarks / a 17×17 grid over its frame move on re-aligning'),
    models=results, seconds=round(time.time() - t0, 1))
out = Path(a.out or f'figures/utkface/alignment_{size}.json'); out.parent.mkdir(parents=True, exist_ok=True)
atomic_write_json(out, res)

f = res['framing']
print(f"{len(kept)} of {len(rows)} {a.split} faces scored ({len(missed)} without a face found: {', '.join(missed[:3])}); model {run}")
print(f"framing (fractions of the side): landmarks to template {f['chips_to_template']:.4f} in the chips, "
      f"{f['realigned_to_template']:.4f} re-aligned (fit residual {f['warped_to_template']:.4f}); re-aligning moves landmarks {f['landmark_move']:.4f}, the frame {f['frame_move']:.4f}; "
      f"scale {f['scale_mean']:.3f} ± {f['scale_sd']:.3f}, rotation {f['rotation_deg_mean']:+.2f} ± {f['rotation_deg_sd']:.2f}°; "
      f"re-aligned vs original chip {agree:.1f} dB")
print(f"| {size} px faces | model PSNR (dB) | SSIM | estimator MAE (years) | estimator bias |")
print('|---|---|---|---|---|')
for k, v in results.items(): print(f"| {k} | {v['psnr']:.2f} | {v['ssim']:.3f} | {v['estimator_mae']:.2f} | {v['estimator_bias']:+.2f} |")
print(f'wrote {out} in {res["seconds"]:.0f} s')
