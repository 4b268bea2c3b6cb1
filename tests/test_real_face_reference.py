"benchmarks/real_face_reference.py: the benchmark's statistics on real faces at each target, bootstrapped, and its refusals."
import importlib.util, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from agevae.age_response import response_stats

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('real_face_reference', ROOT/'benchmarks'/'real_face_reference.py')
rf = importlib.util.module_from_spec(spec); spec.loader.exec_module(rf)
from agevae.core import TARGET_AGES

def test_the_statistics_are_the_benchmarks_own():
    est = np.random.default_rng(0).normal(np.array(TARGET_AGES, float), 8, (30, len(TARGET_AGES)))
    r, b = rf.reference_stats(TARGET_AGES, est), response_stats(TARGET_AGES, est)
    assert r['spearman'] == b['spearman'] and r['target_mae'] == b['target_mae'] and r['mean_estimated_age'] == b['mean_estimated_age']
    assert np.allclose(r['sd_estimated_age'], est.std(0), atol=0.01)

def test_faces_read_at_their_target_score_one_and_faces_read_blind_score_none():
    perfect = {t: np.full(9, float(t)) for t in TARGET_AGES}
    r = rf.bootstrap_reference(TARGET_AGES, perfect, per_target=5, repeats=10)
    assert r['spearman'] == pytest.approx(1.0) and r['target_mae'] == 0 and r['spearman_sd'] == 0 and r['faces_available'] == [9] * 7
    noise = np.random.default_rng(1).normal(40, 10, 400)                       # the same ages read at every target
    blind = rf.bootstrap_reference(TARGET_AGES, {t: noise for t in TARGET_AGES}, per_target=60, repeats=20, seed=2)
    assert abs(blind['spearman']) < 0.1 and 15 < blind['target_mae'] < 25

def test_the_bootstrap_draws_from_each_targets_own_faces_with_replacement():
    est_of = {t: np.array([t, t + 10.0]) for t in TARGET_AGES}                        # two faces per target: read t and t + 10
    r = rf.bootstrap_reference(TARGET_AGES, est_of, per_target=3, repeats=300, seed=0)
    assert np.allclose(np.array(r['mean_estimated_age']) - TARGET_AGES, 5, atol=0.6)   # each target's own faces, half and half on average
    assert r['target_mae'] == pytest.approx(5, abs=0.6) and r['target_mae_sd'] > 0.8   # 3 draws of 2 faces: only with replacement can all 3 read t + 10
    one = rf.bootstrap_reference(TARGET_AGES, est_of, per_target=3, repeats=1, seed=0)
    k = (np.array(one['mean_estimated_age']) - TARGET_AGES) * 3 / 10                  # how many of a draw's 3 faces read t + 10
    assert np.allclose(k, k.round(), atol=0.01) and ((k >= 0) & (k <= 3)).all(), k

def test_a_target_with_no_face_near_it_is_a_clear_error():
    near = rf.near_targets(np.array([10, 11, 20, 22, 23], float), (10, 20), window=2)
    assert [list(v) for v in near.values()] == [[0, 1], [2, 3]]
    with pytest.raises(SystemExit, match='target 70'): rf.near_targets(np.array([10, 20], float), (10, 20, 70), window=2)

@pytest.mark.parametrize('args, says', [(['--window', '-1'], '--window'), (['--window', 'nan'], '--window'), (['--window', '5'], '--window'),
                                        (['--per-target', '1'], '--per-target'), (['--repeats', '0'], '--repeats'), (['--seed', '-1'], '--seed'),
                                        ([], 'none')])   # last: a cache folder that does not exist
def test_bad_settings_are_refused_before_any_work(args, says, tmp_path):
    p = subprocess.run([sys.executable, str(ROOT/'benchmarks'/'real_face_reference.py'), '--data', str(tmp_path/'none'), *args],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and says in p.stderr and 'Traceback' not in p.stderr, p.stderr[-500:]

def test_the_model_card_quotes_the_reference_from_its_file(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location('ship_model', ROOT/'scripts'/'ship_model.py')
    ship = importlib.util.module_from_spec(spec); spec.loader.exec_module(ship)
    monkeypatch.setattr(ship, 'ROOT', tmp_path)
    assert ship.reference_note(64) == ''                                          # no reference measured: the card says nothing
    (tmp_path/'figures'/'utkface').mkdir(parents=True)
    (tmp_path/'figures'/'utkface'/'real_face_reference_64.json').write_text(
        '{"splits": {"test": {"spearman": 0.4321, "spearman_sd": 0.01, "target_mae": 12.34, "target_mae_sd": 0.5}}}')
    note = ship.reference_note(64)
    assert 'ρ 0.43 ± 0.01' in note and 'MAE 12.3 ± 0.5' in note and 'real_face_reference_64.json' in note

def test_main_reads_faces_through_evaluates_pixels_and_estimator_call(tmp_path, monkeypatch):
    "The reference's faces are the very arrays `evaluate` hands the estimator for the same rows, through the same `ages` call."
    import numpy as np
    from agevae.preprocess import prepare_dataset
    from agevae.train import TrainConfig, train
    from agevae.model import VAEConfig
    from agevae.data import FaceData
    from agevae.evaluate import EvalSpec, evaluate
    class Recorder:                                                                 # reads 'age' from brightness, keeps what it was shown
        def __init__(self): self.read = []
        def ages(self, ims): self.read.append(np.array(ims)); return ims.reshape(len(ims), -1).mean(1) / 3
        def embeddings(self, ims): return ims.reshape(len(ims), -1, 3).mean(1) / 255
    cache = tmp_path/'c'
    prepare_dataset('synthetic', None, cache, size=64, n=300, workers=1, progress=False)
    train(TrainConfig(data=str(cache), out=str(tmp_path/'run'), steps=2, batch_size=8, sample_every=0, ckpt_every=0),
          VAEConfig(age_mode='decoder', latent_dim=4, channels=(8, 16, 32)), progress=False)
    data = FaceData(cache); test = data.splits['test'].numpy()
    ev = Recorder()
    evaluate(tmp_path/'run', cache, tmp_path/'ev', EvalSpec(n=len(test), progress=False), ev)
    sample = np.load(tmp_path/'ev'/'arrays.npz')['rows']
    scored = dict(zip(sample.tolist(), np.concatenate(ev.read)[:len(sample)]))    # evaluate reads its inputs first
    spec = importlib.util.spec_from_file_location('rfr', ROOT/'benchmarks'/'real_face_reference.py')
    rfr = importlib.util.module_from_spec(spec); spec.loader.exec_module(rfr)
    ref = Recorder()
    monkeypatch.setattr(rfr, 'IndependentScorers', lambda: ref)
    monkeypatch.setattr(sys, 'argv', ['real_face_reference.py', '--data', str(cache), '--splits', 'test', '--window', '4.5',
                                      '--per-target', '2', '--repeats', '2', '--out', str(tmp_path/'ref.json')])
    rfr.main()
    near = rfr.near_targets(data.age_years[test].numpy(), TARGET_AGES, 4.5)
    assert len(ref.read) == len(TARGET_AGES)
    for t, ims in zip(TARGET_AGES, ref.read):
        rows = test[near[t]]
        assert len(ims) == len(rows) and all(np.array_equal(im, scored[r]) for im, r in zip(ims, rows.tolist())), t
