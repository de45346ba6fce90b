#!/usr/bin/env bash
# For the browser test (tests/test_viz_browser.py): make sure headless Chromium and chromedriver are installed,
# with apt where we can (as root or with password-less sudo), otherwise say how. `make test` runs this; `make demo`
# does not (the demo needs no browser).
set -u
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
installed() { have chromium /usr/bin/chromium && have chromedriver /usr/bin/chromedriver; }
if installed; then
  exit 0
fi
if bash "$(dirname "$0")/apt-install.sh" chromium chromium-driver && installed; then
  exit 0
fi
cat >&2 <<'MSG'
microgradnet: Chromium and chromedriver were not found and could not be installed automatically;
  tests/test_viz_browser.py (the backward-steps page in a real browser) will be skipped.
  Install them with:  sudo apt-get install chromium chromium-driver
MSG
exit 0
