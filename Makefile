# Two commands on a fresh machine: `make demo` runs the main job, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install sample bench clean

$(BIN)/integrity: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/integrity

# The tests also run real Great Expectations and pandera side by side with integrity.
$(VENV)/.test-deps: $(BIN)/integrity
	$(BIN)/python -m pip install --quiet -e '.[dev,gx,bench]'
	touch $@

# The main job on the embedded default: sample sources for feedback (SQLite), sentiment labels
# (Parquet) and the refund policy (CSV), a clean day, then a poisoned and a tampered batch.
demo: install
	$(BIN)/python scripts/demo.py

# .ci/run runs this target.
test: $(VENV)/.test-deps
	$(BIN)/ruff check integrity tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check integrity tests scripts
	$(BIN)/mypy

sample: install
	$(BIN)/python scripts/make_sample_data.py

bench: $(VENV)/.test-deps
	$(BIN)/python scripts/bench.py --rows 1000000

clean:
	rm -rf $(VENV) .integrity build *.egg-info
