"Training loop guarantees: losses fall, resume is exact, the NaN guard, clean stops on SIGTERM, and 2-process DDP."
import csv, json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
import torch
from agevae.model import VAEConfig, AgeVAE, BaselineCVAE, AGE_MODES
from agevae.preprocess import prepare_dataset
from agevae.train import TrainConfig, train, NonFiniteLoss, TrainStep
from agevae.checkpoint import load_checkpoint, load_model
import agevae.train

TINY = dict(latent_dim=8, channels=(8, 16, 32))

@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    d = tmp_path_factory.mktemp('cache')/'synthetic-64'
    prepare_dataset('synthetic', None, d, size=64, n=300, workers=1, progress=False)
    return d

def rows(run):
    with open(Path(run)/'metrics.csv') as f: return list(csv.DictReader(f))

def fixed_batch(B=8, S=64):
    from agevae.synthetic import synthetic_faces
    imgs, f = synthetic_faces(B, S, seed=5)
    return dict(x=torch.from_numpy(imgs).float() / 127.5 - 1, age=torch.tensor(f.age.to_numpy(), dtype=torch.float32) / 120,
                gender=torch.tensor(f.gender.to_numpy()), weight=torch.ones(B))

def _model(mode):
    torch.manual_seed(0)
    return BaselineCVAE(VAEConfig(latent_dim=16, beta=1.0, adv_weight=0)) if mode == 'baseline' else AgeVAE(VAEConfig(age_mode=mode, guide_weight=1.0, beta=1.0, **TINY))

def _critic():
    torch.manual_seed(1)
    lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 64 * 64, 1)).requires_grad_(False)
    return lambda x: lin(x).squeeze(1) + 3.5

def _optimise(model, term, steps=40):
    "Optimise one term (or the total) on a fixed batch; the history of every term."
    step, b = TrainStep(model, _critic()), fixed_batch()
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    hist = []
    for i in range(steps):
        torch.manual_seed(0)                                              # the same noise and guide draws (targets, critic view) at each step
        t = step(b, i)
        assert all(torch.isfinite(v) for v in t.values()), t
        opt.zero_grad(); t[term].backward(); opt.step()
        hist.append({k: v.item() for k, v in t.items()})
    return hist[0], {k: sum(h[k] for h in hist[-5:]) / 5 for k in hist[0]}

@pytest.mark.parametrize('mode', AGE_MODES + ('baseline',))
def test_every_loss_term_finite_and_falling(mode):
    "The total falls, and each named term falls when it is optimised on its own (the KL starts near 0 and may rise under the total)."
    first, last = _optimise(_model(mode), 'total')
    assert last['total'] < 0.8 * first['total'] and last['recon'] < first['recon'], (first, last)
    expected = {'posthoc': {'recon', 'kl'}, 'latent': {'recon', 'kl', 'age'}, 'decoder': {'recon', 'kl', 'adv', 'guide'}, 'baseline': {'recon', 'kl'}}[mode]
    assert set(first) - {'total'} == expected
    for term in expected:
        f, l = _optimise(_model(mode), term, steps=25)
        assert l[term] < 0.9 * f[term], f'{mode}: {term} did not fall when optimised ({f[term]:.4g} -> {l[term]:.4g})'

def interrupt_at(monkeypatch, k):
    "Send this process SIGINT while step `k` - 1 runs, as a Ctrl-C would: the run stops before step `k`."
    batch = agevae.train._batch
    def at(data, plan, cfg, step, *rest):
        if step == k - 1: os.kill(os.getpid(), signal.SIGINT)
        return batch(data, plan, cfg, step, *rest)
    monkeypatch.setattr(agevae.train, '_batch', at)

def nan_at(monkeypatch, k):
    "Make the total loss of step `k` NaN."
    forward = TrainStep.forward
    def nan(self, batch, step):
        terms = forward(self, batch, step)
        return {**terms, 'total': terms['total'] * float('nan')} if step == k else terms
    monkeypatch.setattr(TrainStep, 'forward', nan)

def test_resume_follows_uninterrupted_run(cache, tmp_path, monkeypatch):
    m = VAEConfig(age_mode='decoder', **TINY)
    kw = dict(data=str(cache), steps=12, batch_size=16, log_every=1, ckpt_every=6, sample_every=0)
    train(TrainConfig(out=str(tmp_path/'full'), **kw), m, progress=False)
    # the same run stopped at step 6 (as by a signal: it checkpoints), then resumed to 12
    with monkeypatch.context() as mp:
        interrupt_at(mp, 6)
        s = train(TrainConfig(out=str(tmp_path/'half'), **kw), m, progress=False)
    assert s['interrupted'] == 'SIGINT' and s['steps'] == 6
    assert load_checkpoint(tmp_path/'half'/'checkpoints'/'last.pt')['step'] == 6
    train(TrainConfig(out=str(tmp_path/'half'), **kw), m, resume=True, progress=False)
    a, b = rows(tmp_path/'full'), rows(tmp_path/'half')
    assert [r['step'] for r in a] == [r['step'] for r in b] == [str(i) for i in range(1, 13)]
    for ra, rb in zip(a, b):
        for k in ('total', 'recon', 'kl', 'adv'):
            assert abs(float(ra[k]) - float(rb[k])) <= 1e-4 * abs(float(ra[k])) + 1e-6, (ra['step'], k, ra[k], rb[k])

def test_nan_guard_keeps_last_good_checkpoint(cache, tmp_path, monkeypatch):
    cfg = TrainConfig(data=str(cache), out=str(tmp_path/'r'), steps=20, batch_size=16, ckpt_every=5, sample_every=0)
    with pytest.raises(NonFiniteLoss, match='non-finite at step 7'):
        nan_at(monkeypatch, 7)
        train(cfg, VAEConfig(**TINY), progress=False)
    ck = torch.load(tmp_path/'r'/'checkpoints'/'last.pt', weights_only=True)
    assert ck['step'] == 5
    model = load_model(tmp_path/'r')
    assert all(torch.isfinite(p).all() for p in model.parameters())

def agevae_cmd(*args):
    return [sys.executable, '-c', 'from agevae.cli import main; main()', *map(str, args)]

def test_sigterm_checkpoints_and_resumes(cache, tmp_path):
    run = tmp_path/'r'
    cfg = tmp_path/'cfg.json'; cfg.write_text(json.dumps(dict(model=dict(channels=[8, 16, 32]), train=dict(log_every=5, ckpt_every=0, sample_every=0))))
    p = subprocess.Popen(agevae_cmd('train', '--data', cache, '--out', run, '--config', cfg, '--steps', 100000, '--batch-size', 8, '--latent-dim', 8),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (run/'metrics.csv').exists() and time.time() < deadline and p.poll() is None: time.sleep(0.1)
    assert p.poll() is None, p.communicate()
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 128 + signal.SIGTERM, err
    assert 'stopped by SIGTERM' in err and '--resume' in err
    ck = load_checkpoint(run/'checkpoints'/'last.pt')
    assert ck['step'] >= 5
    r = subprocess.run(agevae_cmd('train', '--data', cache, '--out', run, '--resume', '--steps', ck['step'] + 3), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert load_checkpoint(run/'checkpoints'/'last.pt')['step'] == ck['step'] + 3
    assert json.loads((run/'config.json').read_text())['model']['latent_dim'] == 8    # the saved config was reused

def test_two_process_gloo_ddp_identical_weights(cache, tmp_path):
    script = tmp_path/'agevae_main.py'; script.write_text('from agevae.cli import main\nmain()\n')
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', str(script),
                        'train', '--data', str(cache), '--out', str(tmp_path/'ddp'), '--steps', '4', '--batch-size', '8',
                        '--latent-dim', '8', '--device', 'cpu'], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    s = json.loads((tmp_path/'ddp'/'summary.json').read_text())
    assert s['world_size'] == 2 and len(s['param_checksums']) == 2
    assert s['param_checksums'][0] == s['param_checksums'][1]
    assert load_checkpoint(tmp_path/'ddp'/'checkpoints'/'last.pt')['step'] == 4

def test_ddp_nan_on_one_rank_stops_both(cache, tmp_path):
    "A NaN on rank 1 only must stop both processes at the same step, not leave rank 0 waiting forever."
    script = tmp_path/'nan_rank1.py'
    script.write_text(f'''import os
from agevae.train import train, TrainConfig, NonFiniteLoss, TrainStep
from agevae.model import VAEConfig
rank = int(os.environ['RANK'])
forward = TrainStep.forward
def nan_on_rank1(self, batch, step):
    terms = forward(self, batch, step)
    return {{**terms, 'total': terms['total'] * float('nan')}} if rank == 1 and step == 2 else terms
TrainStep.forward = nan_on_rank1
try:
    train(TrainConfig(data={str(cache)!r}, out={str(tmp_path/'r')!r}, steps=8, batch_size=8, ckpt_every=0, sample_every=0, device='cpu'),
          VAEConfig(latent_dim=8, channels=(8, 16, 32)), progress=False)
except NonFiniteLoss as e:
    print(f'rank {{rank}} stopped: {{e}}', flush=True); raise SystemExit(3)
''')
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', str(script)],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode != 0
    assert 'rank 0 stopped' in r.stdout and 'rank 1 stopped' in r.stdout, r.stdout + r.stderr[-2000:]
    assert 'at step 2' in r.stdout
