# The README's commands. Each target creates .venv if missing and (re)installs
# the package into it whenever a source file changed; then it runs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES := setup.py pyproject.toml $(shell find betavae_tf mc_ext -name '*.py' -o -name '*.pyx' -o -name '*.pxd')
DEMO_DIR ?= runs/demo

.PHONY: install demo test test-slow bench clean

install: $(STAMP)

$(STAMP): $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '.[test]'
	touch $(STAMP)

# From nothing to the quick-scale Fig. 2-4 report for beta = 100: the
# three-phase Ising set, an 8-epoch beta-VAE, its export, evaluation, figures
# and report (runs/demo/report.md). Finished steps are reused when run again.
demo: install
	$(BIN)/betavae-reproduce --scale=quick --figures=2,3,4 --betas=100 --out=$(DEMO_DIR)

test: install
	$(BIN)/pytest -q

test-slow: install
	$(BIN)/pytest -q -m slow

bench: install
	$(BIN)/python bench/bench_mc.py
	$(BIN)/python bench/bench_potts_xy.py
	$(BIN)/python bench/bench_train.py

clean:
	rm -rf build *.egg-info mc_ext/*.c mc_ext/*.so
