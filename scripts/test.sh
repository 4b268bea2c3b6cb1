#!/usr/bin/env bash
# The whole test suite (what CI runs): environment, notebooks clean and exported package in step,
# README in step with nbs/index.ipynb, the notebooks' inline tests (nbdev-test), then pytest.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
start=$(date +%s)

echo "== notebooks clean and agevae/ in step with nbs/"
nbdev-clean
nbdev-export
python scripts/readme.py
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if [ -n "$(git status --porcelain -- nbs agevae README.md)" ]; then
    git status --short -- nbs agevae README.md
    git --no-pager diff --stat -- nbs agevae README.md
    echo "FAIL: notebooks not clean, or agevae/ or README.md out of step with nbs/."
    echo "      Run nbdev-clean, nbdev-export and python scripts/readme.py, then commit."
    exit 1
  fi
else
  echo "(not a git checkout: sync check skipped)"
fi

# Tests write only to temporary folders: the main job's cache, run and demo (scripts/main.sh) must not change.
snapshot() { { find data/synthetic-64 runs/main-decoder figures/demo -type f -printf '%p %s %T@\n' 2>/dev/null || true; } | sort | sha256sum; }
before=$(snapshot)

echo "== nbdev-test (inline notebook tests; slow and gpu cells skipped)"
nbdev-test --n-workers 2 --timing

echo "== chromium for the widget's real-browser test (the test skips, saying why, if this fails)"
bash scripts/setup_browser.sh || echo "WARNING: chromium could not be installed; tests/test_widgets.py's browser test will skip"

echo "== pytest"
python -m pytest -q -rs "$@"
if [ "$(snapshot)" != "$before" ]; then
  echo "FAIL: the tests changed the main job's data/synthetic-64, runs/main-decoder or figures/demo (tests must write only to temporary folders):"
  find data/synthetic-64 runs/main-decoder figures/demo -type f -newermt "@$start" 2>/dev/null | head -n 20 || true
  exit 1
fi
echo "== test suite done in $(( $(date +%s) - start )) s"
