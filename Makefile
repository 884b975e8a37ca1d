# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
# Debian packages the test suite drives as real consumers (feed reader, browser, spam filter).
SYSTEM_PACKAGES := newsboat chromium fonts-dejavu-core spamassassin
# axe-core (npm), the accessibility audit the browser tests inject into Chromium.
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js

# setuptools warns at every editable install of a package whose directories are mapped (the
# templates ship as publisher/templates): a notice for packagers, noise at `make run`.
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet

.PHONY: run test lint bench system-deps clean-out

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[test,dask]'
	touch $(STAMP) $@

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[test,dask,bench]'
	touch $(STAMP) $(TEST_STAMP) $@

run: $(STAMP)
	$(BIN)/publisher build

test: lint system-deps $(AXE)
	$(BIN)/python -m pytest -q

# The rules, checked: style, strict types, and the import layering (docs/architecture.md).
lint: $(TEST_STAMP)
	$(BIN)/ruff check publisher tests benchmarks
	$(BIN)/ruff format --check publisher tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/summaries.py
	$(BIN)/python benchmarks/run.py --work benchmarks/.cache  # corpora generated once, reused
	$(BIN)/python benchmarks/fetch.py

# A longer randomized kill loop over build and send against a local SMTP server: minutes,
# so not part of `make test`. Prints tried / survived / duplicated / lost; fails on any of the
# last two. SOAK_ROUNDS=200 make soak for a longer one; SOAK_SEED repeats a run.
.PHONY: soak
SOAK_ROUNDS ?= 40
soak: $(TEST_STAMP)
	cd tests && ../$(BIN)/python soak.py $(SOAK_ROUNDS) $(SOAK_SEED)

# Installs the Debian packages the tests use when any is missing (needs root or sudo).
system-deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(AXE): | $(BIN)/python
	command -v npm >/dev/null || $(MAKE) system-deps SYSTEM_PACKAGES=npm
	npm install --silent --no-audit --no-fund --prefix $(VENV)/npm axe-core@4

clean-out:
	find out -mindepth 1 ! -name .gitkeep -delete
