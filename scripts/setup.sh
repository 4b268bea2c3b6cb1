#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv: PyTorch first, then agevae with its extras.
# TORCH_SPEC picks the PyTorch build (default torch==2.13.0, the CPU build this project's machines carry);
# AGEVAE_EXTRAS the extras (default dev: everything the tests need; the main job asks for eval only);
# AGEVAE_FRESH_VENV=1 starts from an empty environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
EXTRAS=${AGEVAE_EXTRAS:-dev}
if [ "${AGEVAE_FRESH_VENV:-0}" = 1 ]; then rm -rf .venv; fi
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
pipq() { .venv/bin/python -m pip install -q --disable-pip-version-check "$@" 2>&1 | grep -v "^WARNING: Location" || true; }
echo "== installing $TORCH_SPEC, then agevae[$EXTRAS]"
pipq "$TORCH_SPEC"
pipq -e ".[$EXTRAS]"
.venv/bin/python -c "import torch, agevae; print(f'== ready: agevae {agevae.__version__}, torch {torch.__version__}')"
