"The real UTKFace copy named by $AGEVAE_UTKFACE (default: beside the checkout; skipped where absent): every face kept, race-less names reported."
import importlib.util, json, subprocess, sys
from pathlib import Path
import numpy as np
from agevae.datasets import read_utkface, assign_splits
from agevae.preprocess import read_cache

ROOT = Path(__file__).resolve().parents[1]

def test_utkface_table(utkface_root):
    t = read_utkface(utkface_root)
    assert len(t) == 23707 and t.age.notna().all() and t.age.max() == 116
    assert t.race.isna().sum() == 3 and t.gender.notna().all()

def test_utkface_prepare_64(utkface_root, tmp_path):
    r = subprocess.run([sys.executable, '-c', 'from agevae.cli import main; main()', 'prepare', '--dataset', 'utkface',
                        '--root', str(utkface_root), '--size', '64', '--out', str(tmp_path/'utk64')], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path/'utk64'/'report.json').read_text())
    assert report['kept'] == 23707 and report['skipped'] == {}
    assert report['unknown']['race']['count'] == 3
    images, faces, _ = read_cache(tmp_path/'utk64')
    assert images.shape == (23707, 3, 64, 64) and faces.race.isna().sum() == 3
    print(f"UTKFace 64 px: {report['kept']} kept in {report['seconds']} s with {report['workers']} workers")
    # copies of one photo: the 375 exact groups (765 rows) are found, and after grouping no held-out face has a copy in training
    dup = report['duplicates']
    assert (dup['exact_groups'], dup['exact_rows']) == (375, 765) and dup['groups'] >= 375 and dup['label_conflicts'] >= 205, dup
    spec = importlib.util.spec_from_file_location('duplicates', ROOT/'benchmarks'/'duplicates.py')
    d = importlib.util.module_from_spec(spec); spec.loader.exec_module(d)
    counts = d.copy_counts(faces['photo_hash'], np.load(tmp_path/'utk64'/'signatures.npy'), faces['split'])
    assert all(c['exact'] == c['within_4_255_rms'] == c['near_rule'] == 0 for c in counts.values()), counts
    # the old splits are kept except for moved groups, which move only towards train: new test ⊆ old test, new val ∪ test ⊆ old val ∪ test
    rank = {'train': 0, 'val': 1, 'test': 2}
    before, after = (np.array([rank[s] for s in x]) for x in (assign_splits(read_utkface(utkface_root), 0)['split'], faces['split']))
    assert (after <= before).all() and (after != before).sum() == sum(dup['moved'].values()) > 0
    assert ((after == 2) <= (before == 2)).all() and ((after >= 1) <= (before >= 1)).all()
