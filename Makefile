# The two commands of the README: `make study` and `make test`. Each sets up what it needs from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB    := .venv-lab
LOCK     := requirements.lock
LAB_LOCK := requirements-lab.lock
CFF      := .venv-cff
CFF_LOCK := tools/cffconvert.lock
# Tool versions: pip installs the locks, uv compiles them (`make lock`). Pinned so a lock regenerated later
# is resolved the same way; raise them deliberately.
PIP_VERSION := 26.3
UV_VERSION  := 0.13.9
# 3.11.5, not 3.11: soupsieve (via nbconvert) needs Python >= 3.11.5, so a 3.11.0 target cannot be resolved.
COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11.5 \
  --python-platform x86_64-unknown-linux-gnu $(if $(UPGRADE),--upgrade)

.PHONY: setup lab-setup cff-setup lock system-deps study build check lint test bench lab clean release verify

# The run/test environment: exactly the versions of requirements.lock (hashes checked), then the package
# itself without dependencies; never jupyterlab (it slows every nbformat import by ~2.4 s; see
# docs/architecture.md, "Environments"). Reinstalled when the lock or pyproject.toml changes.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Regenerate both locks from pyproject.toml. Existing pins are kept unless pyproject.toml needs otherwise;
# `make lock UPGRADE=1` moves every package to its newest allowed version. The lab lock is constrained by
# the run lock, so the packages they share have the same versions (tests/test_environment_lock.py).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(COMPILE) --extra test -o $(LOCK)
	$(COMPILE) --extra lab -c $(LOCK) -o $(LAB_LOCK)
	$(BIN)/uv pip compile tools/cffconvert.in --quiet --generate-hashes --python-version 3.11.5 \
	  --python-platform x86_64-unknown-linux-gnu $(if $(UPGRADE),--upgrade) -o $(CFF_LOCK)

# cffconvert validates CITATION.cff in the tests, from an environment of its own (its jsonschema < 4 pin
# cannot share .venv); created by `make test`.
$(CFF)/.installed: $(CFF_LOCK)
	$(PYTHON) -m venv $(CFF)
	$(CFF)/bin/python -m pip install --quiet pip==$(PIP_VERSION)
	$(CFF)/bin/python -m pip install --quiet --require-hashes -r $(CFF_LOCK)
	touch $@

cff-setup: $(CFF)/.installed

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

# lab-setup: tests/test_lab.py starts JupyterLab from .venv-lab (it fails under CI=true without it).
test: setup lab-setup cff-setup system-deps lint
	$(BIN)/python -m pytest -q

# dist/governance-study-<version>.zip for a journal or Zenodo (README, "Releasing and citing")
release: setup
	$(BIN)/governance-study release

# Does every published report reproduce? nbval re-executes reports/*.ipynb and compares every output.
verify: setup
	$(BIN)/governance-study verify

bench: setup
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Interactive use: a separate environment with jupyterlab (requirements-lab.lock), so the run/test
# environment stays lean.
$(LAB)/.installed: $(LAB_LOCK) pyproject.toml
	$(PYTHON) -m venv $(LAB)
	$(LAB)/bin/python -m pip install --quiet pip==$(PIP_VERSION)
	$(LAB)/bin/python -m pip install --quiet --require-hashes -r $(LAB_LOCK)
	$(LAB)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

lab-setup: $(LAB)/.installed

# Jupyter refuses to run as root without --allow-root (containers, CI shells); added only when we are root.
lab: $(LAB)/.installed
	$(LAB)/bin/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) notebooks/

clean:
	rm -rf $(VENV) $(LAB) $(CFF) reports
