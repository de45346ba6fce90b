#!/usr/bin/env bash
# `make train-data`: install Fashion-MNIST (Debian's dataset-fashion-mnist package, 30 MB) where we can,
# otherwise say how to get it. The training defaults and the real-data tests use it; `make demo`/`make test` do not
# need it (those tests skip, saying why).
set -u
DIR=/usr/share/datasets/fashion-mnist
have() { [ -f "$DIR/train-images-idx3-ubyte.gz" ] && [ -f "$DIR/t10k-labels-idx1-ubyte.gz" ]; }
if have; then
  echo "microgradnet: Fashion-MNIST is installed in $DIR"
  exit 0
fi
if bash "$(dirname "$0")/apt-install.sh" dataset-fashion-mnist && have; then
  echo "microgradnet: Fashion-MNIST installed in $DIR"
  exit 0
fi
CACHE="${MICROGRADNET_DATA:-$HOME/.cache/microgradnet}/fashion-mnist"
cat >&2 <<MSG
microgradnet: Fashion-MNIST could not be installed automatically. Either
    Debian/Ubuntu:  sudo apt-get install dataset-fashion-mnist
    elsewhere:      put the four files of https://github.com/zalandoresearch/fashion-mnist (data/fashion/*.gz)
                    in $CACHE (microgradnet train fashion-mnist downloads them there when it has network access)
MSG
exit 1
