"End-to-end: `agevae prepare` on every dataset layout, with every bad input, through the real command line."
import json, subprocess, sys, time
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from agevae import fixtures
from agevae.preprocess import read_cache

def agevae(*args, check=True):
    "Run the `agevae` command line in a fresh interpreter."
    r = subprocess.run([sys.executable, '-c', 'from agevae.cli import main; main()', *map(str, args)], capture_output=True, text=True)
    if check and r.returncode: raise AssertionError(f'agevae {args} failed ({r.returncode}):\n{r.stderr}')
    return r

def prepare(dataset, root, out, *extra):
    r = agevae('prepare', '--dataset', dataset, '--root', root, '--size', 32, '--out', out, '--workers', 2, *extra)
    report = json.loads((Path(out)/'report.json').read_text())
    images, faces, _ = read_cache(out)
    assert images.shape == (report['kept'], 3, 32, 32) and len(faces) == report['kept']
    assert isinstance(report['kept'], int) and isinstance(report['skipped'], dict)
    return report, faces, r.stdout

# (layout builder, dataset name, kept, skipped by reason)
LAYOUTS = {
    'utkface': (lambda d: fixtures.make_utkface(d, n=10), 10 + 3, dict(age_missing=1, empty_file=1, not_an_image=1, truncated=1)),
    'fgnet': (lambda d: fixtures.make_fgnet(d, people=4, per_person=3), 16, {}),
    'aaf': (lambda d: fixtures.make_aaf(d, n=10), 10, {}),
    'morph2': (lambda d: fixtures.make_morph2(d, people=5, photos=2), 10, {}),
    'imdb-wiki': (lambda d: fixtures.make_imdb_wiki(d), 6, dict(no_face=1, second_face=1, low_face_score=1, age_out_of_range=1)),
    'csv': (lambda d: fixtures.make_csv(d), 10, dict(age_missing=1, age_out_of_range=1, empty_file=1, missing_file=1, not_an_image=1, truncated=1)),
}

@pytest.mark.parametrize('dataset', list(LAYOUTS))
def test_prepare_every_layout(tmp_path, dataset):
    make, kept, skipped = LAYOUTS[dataset]
    report, faces, out = prepare(dataset, make(tmp_path/'raw'), tmp_path/'cache')
    assert (report['dataset'], report['kept'], report['skipped']) == (dataset, kept, skipped)
    assert sum(skipped.values()) + kept == report['total']          # nothing lost silently
    for reason in skipped: assert report['examples'][reason] and reason in out
    assert set(faces.split) <= {'train', 'val', 'test'}
    if faces.person.notna().any(): assert faces.groupby('person').split.nunique().max() == 1   # person-disjoint

def test_utkface_oddities(tmp_path):
    report, faces, _ = prepare('utkface', fixtures.make_utkface(tmp_path/'raw', n=4), tmp_path/'c')
    names = faces.path.map(lambda p: Path(p).name)
    raceless = faces[names == '39_1_20170116174525125.jpg.chip.jpg'].iloc[0]
    assert raceless.age == 39 and raceless.gender == 1 and pd.isna(raceless.race)
    assert report['unknown']['race']['count'] == 1
    assert (names == '55_0_0_20170116232725357jpg.chip.jpg').any()      # the dot-less real name
    assert (names == '24_1_4_20170116000000004.jpg.chip.jpg').any()      # CMYK kept
    assert report['examples']['age_missing'] == ['_1_0_20170116174525999.jpg.chip.jpg']

def test_every_image_mode_converted(tmp_path):
    "Grayscale, 16-bit and RGBA PNGs and a CMYK JPEG are kept, as RGB close to the original face."
    csv = fixtures.make_csv(tmp_path/'raw')
    _, faces, _ = prepare('csv', csv, tmp_path/'c')
    images, faces, _ = read_cache(tmp_path/'c')
    names = faces.path.map(lambda p: Path(p).stem).tolist()
    for stem, i in (('gray', 50), ('png16', 51), ('rgba', 52), ('cmyk', 60)):
        assert stem in names, stem
        got = images[names.index(stem)].transpose(1, 2, 0).astype(float)
        ref = np.asarray(Image.fromarray(fixtures.face_pixels(i)).resize((32, 32))).astype(float)
        if stem in ('gray', 'png16'): ref = ref.mean(-1, keepdims=True); got = got.mean(-1, keepdims=True)
        assert np.abs(got[4:] - ref[4:]).mean() < 25, stem
        assert got.std() > 10, f'{stem} came out flat'

def test_clear_errors(tmp_path):
    r = agevae('prepare', '--dataset', 'utkface', '--root', tmp_path/'nowhere', '--out', tmp_path/'c', check=False)
    assert r.returncode == 2 and 'does not exist' in r.stderr and 'AGE_GENDER_RACE' in r.stderr
    csv = fixtures.make_csv(tmp_path/'raw')
    pd.read_csv(csv).drop(columns='age').to_csv(tmp_path/'noage.csv', index=False)
    r = agevae('prepare', '--dataset', 'csv', '--root', tmp_path/'noage.csv', '--out', tmp_path/'c', check=False)
    assert r.returncode == 2 and "no 'age' column" in r.stderr and 'noage.csv' in r.stderr
    r = agevae('prepare', '--dataset', 'aaf', '--out', tmp_path/'c', check=False)
    assert r.returncode == 2 and '--root is required' in r.stderr
    assert not (tmp_path/'c').exists()

def test_killed_prepare_leaves_no_cache_and_rerun_succeeds(tmp_path):
    out = tmp_path/'cache'
    cmd = [sys.executable, '-c', 'from agevae.cli import main; main()', 'prepare', '--dataset', 'synthetic',
           '--n', '8000', '--size', '64', '--out', str(out), '--workers', '1']
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not list(tmp_path.glob('.cache.partial-*')) and time.time() < deadline and p.poll() is None: time.sleep(0.01)
    time.sleep(0.5)
    assert p.poll() is None, 'prepare finished before it could be killed; make the job bigger'
    p.kill(); p.wait()
    assert not out.exists(), 'a killed run must not leave anything at the cache path'
    assert list(tmp_path.glob('.cache.partial-*')), 'expected the unfinished partial folder'
    r = agevae('prepare', '--dataset', 'synthetic', '--n', '8000', '--size', '64', '--out', out, '--workers', 2)
    assert 'interrupted run' in r.stderr
    assert not list(tmp_path.glob('.cache.partial-*'))
    images, faces, report = read_cache(out)
    assert report['kept'] == 8000 and images.shape == (8000, 3, 64, 64)
    assert images[-1].std() > 10                                  # the last face was really written

def test_rerun_reuses_cache(tmp_path):
    root = fixtures.make_fgnet(tmp_path/'raw', people=2, per_person=2)
    prepare('fgnet', root, tmp_path/'c')
    t = (tmp_path/'c'/'images.npy').stat().st_mtime_ns
    _, _, _ = prepare('fgnet', root, tmp_path/'c')
    assert (tmp_path/'c'/'images.npy').stat().st_mtime_ns == t
    fixtures.save_image(root/'images'/'009A33.JPG', fixtures.face_pixels(5, 33, 320))   # new input: rebuilt
    report, _, _ = prepare('fgnet', root, tmp_path/'c')
    assert report['kept'] == 7

def test_csv_numeric_gender_with_a_blank(tmp_path):
    "A 0/1 gender column with one blank (read by pandas as 0.0/1.0/NaN) keeps every other face's gender."
    csv = fixtures.make_csv(tmp_path/'raw')
    df = pd.read_csv(csv).head(6).assign(gender=[None, 1, 0, 1, 0, 1])
    df.to_csv(csv, index=False)
    assert '1.0' in csv.read_text()                                # what pandas writes for such a column
    report, faces, _ = prepare('csv', csv, tmp_path/'c')
    got = dict(zip(faces.path.map(lambda p: Path(p).stem), faces.gender.fillna(-1).astype(int)))
    assert got == dict(ok0=-1, ok1=1, ok2=0, ok3=1, ok4=0, ok5=1), got      # -1: unknown
    assert report['unknown']['gender']['count'] == 1

def test_csv_bad_gender_code_is_an_error(tmp_path):
    "A gender code other than 0/1, M/F or male/female is not a third class: exit 2, naming file, row and value."
    csv = fixtures.make_csv(tmp_path/'raw')
    pd.read_csv(csv).head(6).assign(gender=[0, 1, 2, 1, 0, 1]).to_csv(tmp_path/'codes.csv', index=False)
    r = agevae('prepare', '--dataset', 'csv', '--root', tmp_path/'codes.csv', '--out', tmp_path/'c', check=False)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "codes.csv' data row 3 (1-based, header not counted): gender '2'" in r.stderr
    assert not (tmp_path/'c').exists()

@pytest.mark.parametrize('kind,reason', [('bomb', 'too_many_pixels'), ('headless', 'unreadable')])
def test_undecodable_image_is_a_counted_skip(tmp_path, kind, reason):
    "A decompression bomb (PIL's DecompressionBombError) or a decoder's IndexError skips that file, not the run."
    d = fixtures.make_utkface(tmp_path/'raw', n=6, bad=False)
    name = '35_0_0_20170117170000000.jpg.chip.jpg'
    fixtures.write_bad(d/name, kind)
    report, faces, out = prepare('utkface', d, tmp_path/'c')
    assert (report['kept'], report['skipped']) == (6 + 2, {reason: 1})
    assert report['examples'][reason] == [name] and reason in out
    assert name not in set(faces.path.map(lambda p: Path(p).name))

def test_load_photo_refuses_a_bomb(tmp_path):
    from agevae.preprocess import load_photo, MAX_PIXELS
    bomb = fixtures.write_bad(tmp_path/'bomb.png', 'bomb')
    with pytest.raises(ValueError) as e: load_photo(bomb)
    assert str(bomb) in str(e.value) and f'limit of {MAX_PIXELS:,} pixels' in str(e.value)
    px = load_photo(fixtures.save_image(tmp_path/'ok.jpg', fixtures.face_pixels(0, size=(80, 60))))
    assert px.shape == (60, 80, 3) and px.dtype == np.uint8

CHIP_AGES = (8, 25, 35, 45, 60, 75)          # one real UTKFace chip of each age: the first of its name in sorted order

def real_chips_csv(utkface_root, d, repeat:int=1):
    "A csv-layout copy of a few real UTKFace chips (each listed `repeat` times) and a flat grey image, in which no face can be found."
    d.mkdir(parents=True)
    rows = []
    for age in CHIP_AGES:
        src = sorted(utkface_root.glob(f'{age}_*'))[0]
        (d/src.name).write_bytes(src.read_bytes()); rows += [dict(path=src.name, age=age, gender=int(src.name.split('_')[1]))] * repeat
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(d/'wall.png'); rows.append(dict(path='wall.png', age=30, gender=0))
    pd.DataFrame(rows).to_csv(d/'faces.csv', index=False)
    return d/'faces.csv'

def test_prepare_crop_align_real_faces(tmp_path, utkface_root):
    "`--crop align` frames real UTKFace chips as they already are framed; a photo without a face is a counted skip."
    pytest.importorskip('dlib')
    csv = real_chips_csv(utkface_root, tmp_path/'raw', repeat=11)          # 67 rows: more than 64, so 2 worker processes decode them
    report, faces, out = prepare('csv', csv, tmp_path/'c', '--crop', 'align')
    assert (report['kept'], report['skipped'], report['workers']) == (11 * len(CHIP_AGES), dict(face_not_found=1), 2), report
    assert report['examples']['face_not_found'] == ['wall.png'] and 'face_not_found' in out
    assert report['settings']['crop'] == 'align'
    images, faces, _ = read_cache(tmp_path/'c')
    for im, path in zip(images, faces.path):
        plain = np.asarray(Image.open(path).convert('RGB').resize((32, 32), Image.LANCZOS)).astype(int)   # the chip's own framing
        diff = np.abs(im.transpose(1, 2, 0).astype(int) - plain).mean()
        assert diff < 20, f'{Path(path).name}: re-aligned chip differs from the chip by {diff:.1f} grey levels'

def test_shift_frames_a_photo_as_prepare_does(tmp_path, utkface_root):
    "`find_faces` (agevae shift, the widget) gives exactly the pixels `prepare --crop align` caches; unusable photos are one-line errors."
    pytest.importorskip('dlib')
    from agevae.photo import find_faces
    from agevae.preprocess import load_photo
    align_face = lambda path, size: find_faces(load_photo(path), size, path=path)[0]['chip']
    prepare('csv', real_chips_csv(utkface_root, tmp_path/'raw'), tmp_path/'c', '--crop', 'align')
    images, faces, _ = read_cache(tmp_path/'c')
    for im, path in zip(images, faces.path): assert np.array_equal(align_face(path, 32), im.transpose(1, 2, 0)), path
    with pytest.raises(ValueError, match="no face found in '.*wall.png'"): align_face(tmp_path/'raw'/'wall.png', 32)
    with pytest.raises(ValueError, match="none.jpg': no such file"): align_face(tmp_path/'none.jpg', 32)

def test_crop_align_without_dlib_is_one_line_error(tmp_path):
    "Without dlib, `--crop align` exits 2 with one line naming the extra that installs it, and writes no cache."
    csv = fixtures.make_csv(tmp_path/'raw')
    code = "import sys; sys.modules['dlib'] = None; from agevae.cli import main; main()"       # as if dlib were not installed
    r = subprocess.run([sys.executable, '-c', code, 'prepare', '--dataset', 'csv', '--root', str(csv), '--out', str(tmp_path/'c'),
                        '--crop', 'align', '--workers', '1'], capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "'eval' extra" in r.stderr and 'dlib' in r.stderr
    assert not (tmp_path/'c').exists()

def test_align_takes_the_face_in_the_table_box(tmp_path, utkface_root):
    "With two people in a photo, `--crop align` aligns the one whose face box the table gives (its age label), not the largest."
    pytest.importorskip('dlib')
    from agevae.preprocess import FaceCrop, face_landmarks, load_face
    small, big = (np.asarray(Image.open(sorted(utkface_root.glob(f'{a}_*'))[0]).convert('RGB')) for a in (25, 60))
    photo = np.full((300, 500, 3), 128, np.uint8)
    photo[50:250, 0:200] = small                                           # the labelled person: smaller than the other one
    photo[0:300, 200:500] = np.asarray(Image.fromarray(big).resize((300, 300)))
    inside = lambda pts, l, r: bool(((pts[:, 0] > l) & (pts[:, 0] < r)).all())
    assert inside(face_landmarks(photo), 200, 500)                        # without a box: the largest face
    assert inside(face_landmarks(photo, box=(20, 80, 180, 230)), 0, 200)  # the box picks the person on the left
    Image.fromarray(photo).save(tmp_path/'two.png')                      # what prepare does with a row's box (IMDB-WIKI, landmark tables)
    px, why = load_face(tmp_path/'two.png', 32, box=(20, 80, 180, 230), crop=FaceCrop(align=True))
    left = np.asarray(Image.fromarray(small).resize((32, 32), Image.LANCZOS)).astype(int)
    assert why is None and np.abs(px.astype(int) - left).mean() < 25
