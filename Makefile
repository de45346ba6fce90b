# Two commands do all the set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint setup graphviz browser train-data bench parity clean

setup: $(STAMP) graphviz

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "microgradnet needs Python >= 3.10, found " + sys.version.split()[0])'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "microgradnet: '$(PYTHON) -m venv' failed; installing python3-venv ..."; \
	  (apt-get install -y -qq python3-venv || sudo apt-get install -y -qq python3-venv) >/dev/null 2>&1; \
	  $(PYTHON) -m venv $(VENV) || { echo "microgradnet: could not create $(VENV); install python3-venv (Debian/Ubuntu: sudo apt-get install python3-venv)" >&2; exit 1; }; }
	$(BIN)/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

graphviz:
	@bash scripts/ensure-graphviz.sh

browser:
	@bash scripts/ensure-chromium.sh

# Fashion-MNIST for `microgradnet train fashion-mnist` and the real-data tests (not needed by demo or test).
train-data: setup
	@bash scripts/ensure-fashion-mnist.sh

demo: setup
	$(BIN)/microgradnet demo

lint: $(STAMP)
	$(BIN)/ruff check $(wildcard microgradnet viz tests notebooks benchmarks)

test: setup browser lint
	$(BIN)/python -m pytest

BENCH := benchmarks/.venv-bench
$(BENCH)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install -q -e '.[bench,train]' 'torch==2.13.0' || $(BENCH)/bin/python -m pip install -q -e '.[bench,train]'
	@touch $@

bench: $(BENCH)/.stamp
	$(BENCH)/bin/python benchmarks/engine_bench.py --steps 20 --rounds 3 --json benchmarks/engine.json
	$(BENCH)/bin/python benchmarks/layers_bench.py --repeat 30 --rounds 3 --json benchmarks/layers.json

# every op of the catalogue (microgradnet/opinfo) on microgradnet and on PyTorch: values, gradients, shapes,
# dtypes and error classes, with a printed report
parity: $(BENCH)/.stamp
	PYTHONPATH=$(CURDIR) $(BENCH)/bin/python -m microgradnet.opinfo.parity

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache demo-out
