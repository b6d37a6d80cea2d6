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

demo: $(VENV)/.runtime ## the main job: demo data -> ingest -> batch for the latest month -> site
	$(CDRP) demo-data --out $(DEMO)
	$(CDRP) ingest $(DEMO) --store $(STORE)

test: $(VENV)/.test ## install the test extras and run ruff, mypy and the whole test suite
	$(BIN)/ruff check cdrp_lib tests benchmarks
	$(BIN)/mypy cdrp_lib
	$(BIN)/pytest

lab: $(VENV)/.runtime ## start JupyterLab on the project
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(VENV)/.test ## run the benchmarks under benchmarks/
	$(BIN)/python benchmarks/ingest.py

clean: ## remove outputs (the store, runs and the site); inputs are kept
	rm -rf outputs/* 

.PHONY: help venv demo test lab bench clean
