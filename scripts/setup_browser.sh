#!/usr/bin/env bash
# What the real-browser test (tests/test_widgets.py, marked slow) needs beyond agevae[dev]: Debian's chromium.
# Playwright drives it (executable_path=/usr/bin/chromium, headless, --no-sandbox) and downloads nothing;
# Playwright and JupyterLab themselves come with the dev extra (scripts/setup.sh). Needs root or sudo for apt-get.
# Then: .venv/bin/python -m pytest -m slow tests/test_widgets.py
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "== chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
start=$(date +%s)
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
echo "== chromium installed in $(( $(date +%s) - start )) s: $(/usr/bin/chromium --version 2>/dev/null)"
