# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: setup setup-dev run test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch is pinned first so pip takes the local CPU build instead of a multi-GB CUDA one.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(STAMP)

setup-dev: $(DEV_STAMP)

run: setup
	$(BIN)/qa-service serve

test: setup-dev
	$(BIN)/ruff check qa_service tests benchmarks
	$(BIN)/pytest -q

# The inner loop: everything but servers, second processes, torch models and the eval tier.
test-fast: setup-dev
	$(BIN)/pytest -q -m "not slow"

lint: setup-dev
	$(BIN)/ruff check qa_service tests benchmarks
	$(BIN)/ruff format --check qa_service tests benchmarks

bench: setup-dev
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) index/chroma index/*.sqlite3*
