# Both main targets set themselves up: they create .venv and install the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

## demo: run the whole job against the sandbox with the sample account
demo: $(INSTALLED)
	$(BIN)/picqer-optiply demo

## test: run every test (pytest, which also runs dbt build and its data and unit tests)
test: $(INSTALLED)
	$(BIN)/pytest

## bench: benchmark extract, load, dbt build and name resolution on generated accounts; rewrites docs/benchmarks.md
bench: $(INSTALLED)
	$(BIN)/python -m pipelines.bench

clean:
	rm -rf $(VENV) warehouse target logs
