# Two commands on a fresh machine: `make demo` runs the main job, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install bench clean

$(BIN)/integrity: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/integrity

demo: install
	$(BIN)/integrity validate connectors/data/customer_feedback.csv --suite expectations/customer_feedback.json

test: install
	$(BIN)/ruff check integrity tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python scripts/bench.py --rows 1000000

clean:
	rm -rf $(VENV) .integrity build *.egg-info
