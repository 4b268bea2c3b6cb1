#!/usr/bin/env bash
# What the real-browser test (tests/test_widgets.py, marked slow; scripts/test.sh runs it) needs beyond agevae[dev]:
# Debian's chromium. Playwright drives it (executable_path=/usr/bin/chromium, headless, --no-sandbox) and downloads
# nothing; Playwright and JupyterLab themselves come with the dev extra (scripts/setup.sh). Needs root, or sudo
# without a password, for apt-get. Then: .venv/bin/python -m pytest -m slow tests/test_widgets.py
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "== chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo -n); fi           # -n: fail rather than wait for a password
start=$(date +%s)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
echo "== chromium installed in $(( $(date +%s) - start )) s: $(/usr/bin/chromium --version 2>/dev/null)"
