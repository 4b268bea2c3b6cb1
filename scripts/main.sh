#!/usr/bin/env bash
# The main job on the embedded default: synthetic faces -> preprocessing cache -> exploration figures.
# Everything runs on the CPU with no download. Outputs: data/synthetic-64/ (cache), figures/synthetic/ (PNG).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
start=$(date +%s)
.venv/bin/agevae prepare --dataset synthetic --n 2000 --size 64 --out data/synthetic-64
.venv/bin/agevae explore --data data/synthetic-64 --out figures/synthetic
echo "== main job done in $(( $(date +%s) - start )) s: figures in figures/synthetic/"
