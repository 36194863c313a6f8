# One runner for every task; each target installs what it needs into ./.venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench bench-quick clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(VENV)/bin/servematch db upgrade
	$(VENV)/bin/servematch demo --if-empty
	@echo "ServeMatch on http://$(HOST):$(PORT) — OpenAPI docs at http://$(HOST):$(PORT)/docs"
	$(VENV)/bin/servematch serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

bench: install
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) servematch.db .pytest_cache .mypy_cache .ruff_cache
