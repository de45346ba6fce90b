#!/usr/bin/env bash
# apt-install.sh PACKAGE...: install Debian packages with apt-get when we can (as root, or with password-less sudo),
# quietly. Exit 0 when apt-get installed them, 1 when it could not or was not available. Used by ensure-*.sh.
set -u
command -v apt-get >/dev/null 2>&1 || exit 1
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else exit 1; fi
fi
echo "microgradnet: installing $* (apt-get install $*) ..."
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1
