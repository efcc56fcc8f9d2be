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

# The quick three-phase Ising data set (reused when it is already there), then
# a beta = 100 beta-VAE trained on it for a few epochs; running it again
# resumes the same workdir.
demo: install
	@if [ -f $(DEMO_DIR)/data/manifest.json ]; then \
	  $(BIN)/betavae-info --data=$(DEMO_DIR)/data; \
	else \
	  $(BIN)/betavae-generate --flagfile=flags/data/ising_three_phase_quick.flags --out=$(DEMO_DIR)/data; \
	fi
	$(BIN)/betavae-train --flagfile=flags/train/ising_beta100_quick.flags \
	  --data_dir=$(DEMO_DIR)/data --workdir=$(DEMO_DIR)/train --verbose=2

test: install
	$(BIN)/pytest -q

test-slow: install
	$(BIN)/pytest -q -m slow

bench: install
	$(BIN)/python bench/bench_mc.py
	$(BIN)/python bench/bench_train.py

clean:
	rm -rf build *.egg-info mc_ext/*.c mc_ext/*.so
