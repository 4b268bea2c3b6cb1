#!/usr/bin/env bash
# Redraw figures/widget.png from the shipped model (models/utkface-64 with its edit.json): the real-browser test of
# tests/test_widgets.py opens nbs/16_widgets.ipynb in JupyterLab under headless Chromium, uploads the public-domain
# astronaut photo, drags the age slider, and keeps its screenshot of the widget here. Run it after shipping a model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash scripts/setup_browser.sh
AGEVAE_WIDGET_PNG="$PWD/figures/widget.png" .venv/bin/python -m pytest -q -m slow tests/test_widgets.py -k browser
echo "== redrew figures/widget.png from models/$(basename "$(ls -d models/utkface-64)") ($(cat models/utkface-64/edit.json))"
