"benchmarks/estimator_ceiling.py: the statistics of real faces at each target, and its refusals."
import importlib.util
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('estimator_ceiling', ROOT/'benchmarks'/'estimator_ceiling.py')
ec = importlib.util.module_from_spec(spec); spec.loader.exec_module(ec)
TARGETS = (10, 20, 30, 40, 50, 60, 70)

def test_a_perfect_estimator_scores_the_ceiling_of_one():
    est = np.tile(np.array(TARGETS, float), (5, 1))                              # every face read at exactly its target
    r = ec.ceiling(TARGETS, est)
    assert r['spearman'] == pytest.approx(1.0) and r['target_mae'] == 0
    assert np.allclose(r['mean_estimated_age'], TARGETS) and np.allclose(r['sd_estimated_age'], 0)

def test_an_estimator_blind_to_age_scores_no_correlation():
    rng = np.random.default_rng(0)
    est = rng.normal(40, 10, (400, len(TARGETS)))                                # the same noise at every target
    r = ec.ceiling(TARGETS, est)
    assert abs(r['spearman']) < 0.1 and 15 < r['target_mae'] < 25

def test_repeats_draw_the_named_number_of_distinct_faces():
    ages = np.repeat(np.array(TARGETS, float), 6)                                # 6 faces at each target
    near = ec.near_targets(ages, TARGETS, window=2, need=4)
    assert all(len(v) == 6 and (ages[v] == t).all() for t, v in near.items())
    est_of = {t: ages[near[t]] + np.arange(6) for t in TARGETS}                 # reads t … t + 5
    r = ec.repeated_ceiling(TARGETS, near, est_of, per_target=4, repeats=7, seed=1)
    assert 0 < r['target_mae'] <= 5 and r['spearman'] > 0.9 and r['faces_available'] == [6] * 7
    assert r['spearman_sd'] >= 0 and r['target_mae_sd'] > 0                     # different draws differ

def test_too_few_faces_near_a_target_is_a_clear_error():
    ages = np.array([10, 11, 20, 21, 70], float)
    with pytest.raises(SystemExit, match='target 70'): ec.near_targets(ages, (10, 20, 70), window=2, need=2)
