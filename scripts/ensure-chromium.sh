#!/usr/bin/env bash
# For the browser test (tests/test_viz_browser.py): make sure headless Chromium and chromedriver are installed,
# with apt where we can (as root or with password-less sudo), otherwise say how. `make test` runs this; `make demo`
# does not (the demo needs no browser).
set -u
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
if have chromium /usr/bin/chromium && have chromedriver /usr/bin/chromedriver; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  fi
  if [ "$SUDO" != "none" ]; then
    echo "microgradnet: installing Chromium for the browser test (apt-get install chromium chromium-driver) ..."
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    if DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; then
      have chromium /usr/bin/chromium && have chromedriver /usr/bin/chromedriver && exit 0
    fi
  fi
fi
cat >&2 <<'MSG'
microgradnet: Chromium and chromedriver were not found and could not be installed automatically;
  tests/test_viz_browser.py (the backward-steps page in a real browser) will be skipped.
  Install them with:  sudo apt-get install chromium chromium-driver
MSG
exit 0
