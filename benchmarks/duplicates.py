#!/usr/bin/env python3
"""How many validation and test faces of a cache are copies of a training face, counted afresh from the photos' signatures.

Independent of the duplicate groups `agevae prepare` stores (not of its signatures): every held-out face is compared, by
brute force, with every training face on the cache's signatures (`signatures.npy`, the whole photo as 16 × 16 grey at a size-independent decode) and its
pixel hash. Exact: the same decoded pixels; near: within 4/255 RMS (the issue's rule), or within `prepare`'s full
rule (that, or correlation >= NEAR_CORR). `--pairs PNG` draws random pairs of photos around the correlation threshold,
to calibrate it by eye (a figure of faces: credit the dataset).

Usage (before and after: the same photos prepared with --dedupe off and with the default --dedupe group):
  python benchmarks/duplicates.py --data data/utkface-64-nodedupe --data data/utkface-64 \
      [--json figures/utkface/duplicates_64.json] [--pairs figures/utkface/duplicate_pairs.png]
"""
import argparse, sys
from pathlib import Path
import numpy as np

def copy_counts(hashes, signatures, splits) -> dict:
    "Per held-out split: faces with an exact copy in train, with one within 4/255 RMS, and with one under prepare's full near rule."
    from sklearn.neighbors import NearestNeighbors
    from agevae.preprocess import NEAR_RMS, NEAR_CORR, signature_vectors
    hashes, splits = np.asarray(hashes, str), np.asarray(splits)
    g, z = signature_vectors(signatures)
    D, train = g.shape[1], splits == 'train'
    nn_g, nn_z = NearestNeighbors().fit(g[train]), NearestNeighbors().fit(z[train])
    out = {}
    for s in ('val', 'test'):
        m = splits == s
        if not m.any(): continue
        exact = np.isin(hashes[m], hashes[train])
        d_g = nn_g.kneighbors(g[m], 1)[0][:, 0] / np.sqrt(D)                   # RMS to the nearest training signature
        d_z = nn_z.kneighbors(z[m], 1)[0][:, 0]
        near_rms = d_g <= NEAR_RMS
        near_rule = near_rms | (1 - d_z ** 2 / (2 * D) >= NEAR_CORR)
        out[s] = dict(faces=int(m.sum()), exact=int(exact.sum()), within_4_255_rms=int((exact | near_rms).sum()),
                      near_rule=int((exact | near_rule).sum()))
    return out

def pair_sheet(paths, signatures, out, bins=((0.97, 0.99), (0.96, 0.97), (0.95, 0.96), (0.94, 0.95)), k:int=12, seed:int=0, credit=''):
    "A PNG of `k` random pairs (over 4/255 RMS apart) per correlation bin, the photos at 64 px, each pair's correlation under it."
    from sklearn.neighbors import radius_neighbors_graph
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    from PIL import Image
    from agevae.core import save_figure
    from agevae.preprocess import NEAR_RMS, signature_vectors
    g, z = signature_vectors(signatures)
    D = g.shape[1]
    lo = min(b[0] for b in bins)
    a = radius_neighbors_graph(z, np.sqrt(2 * D * (1 - lo)), mode='distance').tocoo()
    i, j, d = a.row[a.row < a.col], a.col[a.row < a.col], a.data[a.row < a.col]
    corr, rms = 1 - d ** 2 / (2 * D), np.sqrt(((g[i] - g[j]) ** 2).mean(1))
    rng = np.random.default_rng(seed)
    fig, axs = plt.subplots(len(bins), 2 * k, figsize=(2 * k * 0.7, len(bins) * 0.95), squeeze=False)
    for r, (b0, b1) in enumerate(bins):
        pick = np.flatnonzero((corr >= b0) & (corr < b1) & (rms > NEAR_RMS))
        pick = rng.permutation(pick)[:k]
        for c in range(2 * k):
            ax = axs[r, c]; ax.axis('off')
            if c // 2 < len(pick):
                p = pick[c // 2]
                ax.imshow(np.asarray(Image.open(paths[(i, j)[c % 2][p]]).convert('RGB').resize((64, 64))))
                if c % 2 == 0: ax.set_title(f'{corr[p]:.3f}', fontsize=6, loc='left')
        axs[r, 0].text(-0.2, 0.5, f'{b0}–{b1}', transform=axs[r, 0].transAxes, ha='right', va='center', fontsize=7)
    from agevae.preprocess import NEAR_CORR
    fig.suptitle(f'pairs of photos by the correlation of their 16×16 grey signatures (copies from {NEAR_CORR})' + (f'\nfaces: {credit}' if credit else ''), fontsize=8)
    fig.subplots_adjust(wspace=0.05, hspace=0.35)
    save_figure(fig, out, dpi=110)
    return {f'{b0}-{b1}': int(((corr >= b0) & (corr < b1) & (rms > NEAR_RMS)).sum()) for b0, b1 in bins}

def cache_counts(cache) -> dict:
    "The counts of one cache: its duplicate report, splits, and `copy_counts` from its signatures."
    from agevae.preprocess import read_cache, is_cache
    cache = Path(cache)
    if not is_cache(cache): sys.exit(f"duplicates: '{cache}' is not an agevae cache; build one with agevae prepare")
    if not (cache/'signatures.npy').is_file():
        sys.exit(f"duplicates: the cache '{cache}' was prepared before duplicate groups existed (no signatures.npy); run agevae prepare again")
    _, faces, report = read_cache(cache)
    counts = copy_counts(faces['photo_hash'], np.load(cache/'signatures.npy'), faces['split'])
    for s, c in counts.items():
        print(f"{cache} ({s}): {c['faces']:,} faces; copies of a training face: exact {c['exact']}, within 4/255 RMS {c['within_4_255_rms']}, "
              f"under prepare's near rule {c['near_rule']}")
    dup = report.get('duplicates') or {}
    return dict(data=str(cache), dedupe=dup.get('mode'), splits=report['splits'], copies_of_training=counts,
                groups={k: v for k, v in dup.items() if k != 'conflict_examples'}, conflict_examples=dup.get('conflict_examples', [])[:3])

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', required=True, action='append', help='a cache folder of agevae prepare (repeat to compare caches, e.g. --dedupe off and group)')
    ap.add_argument('--json', help='write the counts to this JSON file as well')
    ap.add_argument('--pairs', help="draw pairs around the near-copy threshold of the last cache's photos into this PNG")
    a = ap.parse_args(argv)
    from agevae.core import atomic_write_json
    res = dict(kind='duplicates', command='python ' + ' '.join(['benchmarks/duplicates.py'] + (argv if argv is not None else sys.argv[1:])),
               caches=[cache_counts(c) for c in a.data])
    if a.pairs:
        from agevae.preprocess import read_cache
        from agevae.datasets import CREDITS
        _, faces, report = read_cache(a.data[-1])
        res['pairs_over_4_255_by_correlation'] = pair_sheet(faces['path'].tolist(), np.load(Path(a.data[-1])/'signatures.npy'), a.pairs,
                                                             credit=CREDITS.get(report.get('dataset') or '', ''))
        print('pairs drawn into', a.pairs, res['pairs_over_4_255_by_correlation'])
    if a.json: atomic_write_json(a.json, res)
    return res

if __name__ == '__main__': main()
