#!/usr/bin/env python3
"""Re-measure `agevae.preprocess.FACE_TEMPLATE`: where dlib's 5 landmarks sit, on average, in UTKFace's chips.

Usage (the cache gives the chips' paths and the training split; the chips are read at their full 200 px):
  python benchmarks/face_template.py --data data/utkface-64 --n 500
Prints the mean landmark positions as fractions of the chip's side (pixel centres at (i + 0.5) / side), their
spread over chips, how many chips had no detectable face, and a line to paste as FACE_TEMPLATE.
"""
import argparse
import numpy as np
from agevae.preprocess import read_cache, load_photo, face_landmarks, FACE_TEMPLATE

NAMES = ('right-hand eye, outer corner', 'right-hand eye, inner corner', 'left-hand eye, outer corner',
         'left-hand eye, inner corner', 'base of the nose')     # dlib's order; right-hand: on the image's right

ap = argparse.ArgumentParser()
ap.add_argument('--data', default='data/utkface-64', help='a prepared UTKFace cache: its training faces are measured')
ap.add_argument('--n', type=int, default=500, help='training chips, drawn at random with --seed')
ap.add_argument('--seed', type=int, default=0)
a = ap.parse_args()
_, faces, _ = read_cache(a.data)
train = faces[faces.split == 'train']
pick = train.sample(min(a.n, len(train)), random_state=a.seed)
points, missed = [], 0
for path in pick.path:
    img = load_photo(path)
    p = face_landmarks(img)
    if p is None: missed += 1; continue
    points.append((p + 0.5) / np.array([img.shape[1], img.shape[0]]))       # unit coordinates (5, 2)
points = np.stack(points)
mean, sd = points.mean(0), points.std(0)
print(f'{len(points)} of {len(pick)} training chips of {a.data} (seed {a.seed}); no face found in {missed}')
for name, m, s in zip(NAMES, mean, sd):
    print(f'  {name:<29} x {m[0]:.4f} ± {s[0]:.4f}   y {m[1]:.4f} ± {s[1]:.4f}')
print(f'largest change from the committed FACE_TEMPLATE: {np.abs(mean - FACE_TEMPLATE).max():.4f} of the side')
print('FACE_TEMPLATE = np.array([' + ', '.join(f'[{x:.4f}, {y:.4f}]' for x, y in mean) + '])')
