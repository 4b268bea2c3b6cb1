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
