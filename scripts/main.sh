#!/usr/bin/env bash
# The main job on the embedded default, on the CPU with no download:
# synthetic faces -> preprocessing cache -> exploration figures -> a small age-conditioned beta-VAE
# (decoder mode, configs/cpu-small.json) -> its age sweep, reconstructions and loss curves; then the shipped
# UTKFace model ages a real photo at its own resolution (assets/astronaut.png: Eileen Collins, NASA, public domain).
# Outputs: data/synthetic-64/ (cache), runs/main-decoder/ (run), figures/synthetic/ (PNG), figures/demo/ (the aged photo).
# It installs only what it needs (agevae[eval]: the figures and the face finder and age estimator), not the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
AGEVAE_EXTRAS=eval bash scripts/setup.sh
start=$(date +%s)
.venv/bin/agevae prepare --dataset synthetic --n 4000 --size 64 --out data/synthetic-64
.venv/bin/agevae explore --data data/synthetic-64 --out figures/synthetic
rm -rf runs/main-decoder
.venv/bin/agevae train --data data/synthetic-64 --out runs/main-decoder --config configs/cpu-small.json
.venv/bin/agevae figures --run runs/main-decoder --out figures/synthetic --prefix decoder
.venv/bin/agevae shift --image assets/astronaut.png --ages 20,40,60,75 --gender 1 --out figures/demo   # her age estimated; the estimator reads her as male
echo "== main job done in $(( $(date +%s) - start )) s: figures in figures/synthetic/, run in runs/main-decoder/, the aged photo in figures/demo/"
