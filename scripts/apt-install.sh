#!/usr/bin/env bash
# apt-install.sh PACKAGE: install a Debian/Ubuntu package as root or with password-less sudo; exit 1 if it cannot.
set -u
command -v apt-get >/dev/null 2>&1 || exit 1
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else exit 1; fi
fi
echo "microgradnet: installing $1 (apt-get install $1) ..."
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1" >/dev/null 2>&1
