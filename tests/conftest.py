import os
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
UTKFACE = Path(os.environ.get('AGEVAE_UTKFACE', ROOT.parent/'shared'/'data'/'utkface'/'UTKFace'))

@pytest.fixture
def utkface_root():
    "The real UTKFace copy beside the repository; tests that need it skip where it is absent."
    if not UTKFACE.is_dir(): pytest.skip(f'real UTKFace not found at {UTKFACE} (set AGEVAE_UTKFACE to its folder)')
    return UTKFACE

def tiny_sweep_setup(d:Path) -> Path:
    "A β sweep's inputs in `d`: a cache of 200 synthetic faces (`cache/`) and a config of a tiny model (`cfg.json`)."
    import json
    from agevae.preprocess import prepare_dataset
    prepare_dataset('synthetic', None, d/'cache', size=64, n=200, workers=1, progress=False)
    (d/'cfg.json').write_text(json.dumps(dict(model=dict(latent_dim=8, channels=[8, 16, 32]),
                                              train=dict(batch_size=16, log_every=1, sample_every=0, ckpt_every=0))))
    return d
