#!/usr/bin/env bash
# Make sure Graphviz's `dot` is on PATH: install the OS package where we can, otherwise say how.
set -u
if command -v dot >/dev/null 2>&1; then
  exit 0
fi
if bash "$(dirname "$0")/apt-install.sh" graphviz; then
  command -v dot >/dev/null 2>&1 && { echo "microgradnet: Graphviz $(dot -V 2>&1)"; exit 0; }
fi
cat >&2 <<'MSG'
microgradnet: Graphviz's `dot` program was not found and could not be installed automatically.
  The library still works: viz.to_dot() and saving .dot files need no Graphviz; SVG/PNG/PDF rendering does.
  Install it with one of:
    Debian/Ubuntu:  sudo apt-get install graphviz
    macOS:          brew install graphviz
    conda:          conda install -c conda-forge graphviz
    Windows:        winget install graphviz
MSG
exit 0
