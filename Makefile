# The README's commands. Each target creates .venv if missing and (re)installs
# the package into it, from the tested set in constraints.txt, whenever a
# source file changed; then it runs.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES := setup.py pyproject.toml constraints.txt $(shell find betavae_tf mc_ext flags -name '*.py' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.flags')
DEMO_DIR ?= runs/demo

.PHONY: install demo test lint docs wheel test-slow test-env bench lock clean

install: $(STAMP)

$(STAMP): $(SOURCES)
	@echo "Installing betavae_tf and its dependencies into $(VENV) (a few minutes the first time: TensorFlow is a large download and mc_ext is compiled)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -c constraints.txt '.[test]'
	touch $(STAMP)

# From nothing to the quick-scale Fig. 2-4 report for beta = 100: the
# three-phase Ising set, an 8-epoch beta-VAE, its export, evaluation, figures
# and report (runs/demo/report.md). Finished steps are reused when run again.
demo: install
	$(BIN)/betavae-reproduce --scale=quick --figures=2,3,4 --betas=100 --out=$(DEMO_DIR)

# The suite on two worker processes (pytest-xdist): its tests are independent, each in its own
# temporary directory, and most of its time is single-threaded TensorFlow start-up and tracing.
test: install lint
	$(BIN)/pytest -q -n 2

# The floors (docs/architecture.md) and the code style: import-linter's contracts and ruff, from pyproject.toml.
lint: install
	PYTHONPATH=. $(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-slow: install
	$(BIN)/pytest -q -m slow

# The package as a user meets it: a wheel in a fresh Python 3.12 virtualenv,
# and the notebooks run here and as on Colab (not preinstalled, outside the clone);
# also the fault checks that start several TensorFlow processes each.
# The documentation site (docs/, mkdocs.yml) into site/; strict: a broken link or a stale page fails.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site

# Wheels without a compiler: the wheel repaired by auditwheel (the OpenMP runtime bundled, a manylinux tag for
# this machine's glibc) and the sdist, into dist/. Release wheels for many platforms: pyproject's [tool.cibuildwheel].
wheel: install
	rm -rf dist
	$(BIN)/python -m pip wheel --no-deps -w dist/raw .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/auditwheel repair -w dist dist/raw/*.whl
	$(BIN)/python -m build --sdist --outdir dist .
	rm -rf dist/raw

test-env: install
	$(BIN)/pytest -q -m "fresh_env or notebooks or heavy"

bench: install
	$(BIN)/python bench/bench_mc.py
	$(BIN)/python bench/bench_potts_xy.py
	$(BIN)/python bench/bench_train.py
	$(BIN)/python bench/bench_exact_sampling.py --out=runs/exact

# Re-pin constraints.txt to what .venv holds now (after changing pyproject.toml).
lock: install
	{ sed -n '1,3p' constraints.txt; $(BIN)/python -m pip freeze --exclude betavae_tf; grep ' ; python_version' constraints.txt; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf build *.egg-info mc_ext/*.c mc_ext/*.so
