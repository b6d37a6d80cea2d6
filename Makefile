# CSP performance bulletins. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDRP := $(BIN)/cdrp
STORE := outputs/store.duckdb
DEMO := data/raw/demo

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z][a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/activate pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

venv: $(VENV)/.runtime ## create .venv with the pinned runtime packages

# The demo bulletins: every partnership the demo store can report for its latest month
# (the demo county's; the seed plans and the Kettering replica have no data in it).
# WORKERS local processes run the bulletins in parallel.
WORKERS ?= 2

demo: $(VENV)/.runtime ## the main job: demo data -> ingest -> batch for the latest month -> site
	$(CDRP) demo-data --out $(DEMO)
	$(CDRP) ingest $(DEMO) --store $(STORE)
	$(CDRP) run --month latest --all --store $(STORE) --workers $(WORKERS)
	@echo "The demo bulletins: $(CURDIR)/outputs/site/index.html"

test: $(VENV)/.test ## install the test extras and run ruff, mypy, the import layers and the whole test suite
	$(BIN)/ruff check cdrp_lib tests benchmarks
	$(BIN)/mypy cdrp_lib
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/pytest

lab: $(VENV)/.runtime ## start JupyterLab on the project (the notebooks' defaults need `make demo` first)
	@test -f $(STORE) || echo "No store at $(STORE) yet: run 'make demo' so the notebooks' defaults have data."
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(VENV)/.test ## run the benchmarks under benchmarks/
	$(BIN)/python benchmarks/ingest.py

# Under the outputs lock that `cdrp run` holds (util-linux flock, same flock(2) lock), so a
# clean never pulls files from under a running batch; exit status 75 is "in use".
clean: ## remove outputs (the store, runs and the site); inputs and outputs/README.md are kept
	@flock --nonblock --conflict-exit-code 75 outputs/.cdrp.lock \
	  find outputs -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +; status=$$?; \
	  if [ $$status -eq 75 ]; then echo "make clean: outputs/ is in use by a cdrp run" \
	  "(outputs/.cdrp.lock says which); nothing removed" >&2; fi; exit $$status

.PHONY: help venv demo test lab bench clean
