#!/usr/bin/env bash
# Make sure Graphviz's `dot` is on PATH: install the OS package where we can, otherwise say how.
set -u
if command -v dot >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  fi
  if [ "$SUDO" != "none" ]; then
    echo "microgradnet: installing Graphviz (apt-get install graphviz) ..."
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    if DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null 2>&1; then
      command -v dot >/dev/null 2>&1 && { echo "microgradnet: Graphviz $(dot -V 2>&1)"; exit 0; }
    fi
  fi
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
