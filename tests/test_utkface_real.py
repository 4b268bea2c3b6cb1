"The real UTKFace copy named by $AGEVAE_UTKFACE (default: beside the checkout; skipped where absent): every face kept, race-less names reported."
import json, subprocess, sys
from agevae.datasets import read_utkface
from agevae.preprocess import read_cache

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
