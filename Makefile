# The two commands of the README: `make study` and `make test`. Each sets up what it needs from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB    := .venv-lab

.PHONY: setup system-deps study build check lint test bench lab clean release

# The run/test environment: the package with its `test` extra, never jupyterlab (it slows every
# nbformat import by ~2.4 s; see docs/architecture.md, "Environments"). Reinstalled when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages: Chromium for the browser test of the reports. Installed when missing and we are root;
# otherwise a note (the browser test then skips outside CI and fails under CI=true).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "note: could not install chromium; the browser test will skip (or fail under CI)"; \
	  else echo "note: /usr/bin/chromium missing and not root: run 'sudo apt-get install chromium' for the browser test"; fi; \
	fi

check: setup
	$(BIN)/governance-study check

build: setup
	$(BIN)/governance-study build

study: setup
	$(BIN)/governance-study run

# ruff (configured in pyproject.toml): lint and formatting, the same checks as .pre-commit-config.yaml
lint: setup
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks

test: setup system-deps lint
	$(BIN)/python -m pytest -q

# dist/governance-study-<version>.zip for a journal or Zenodo (README, "Releasing and citing")
release: setup
	$(BIN)/governance-study release

bench: setup
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Interactive use: a separate environment with jupyterlab, so the run/test environment stays lean.
$(LAB)/.installed: pyproject.toml
	$(PYTHON) -m venv $(LAB)
	$(LAB)/bin/python -m pip install --quiet --upgrade pip
	$(LAB)/bin/python -m pip install --quiet -e '.[lab]'
	touch $@

lab: $(LAB)/.installed
	$(LAB)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) $(LAB) reports
