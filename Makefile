# One runner for every task; each target installs what it needs into ./.venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The contract linter (Spectral + the OWASP ruleset) is a node tool, pinned by package-lock.json.
NODE_STAMP := node_modules/.installed
OPENAPI := build/openapi.json
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo vendor test lint bench bench-quick bench-pages soak simulate clean screens

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# --ignore-scripts: nothing in the linter needs an install script (one would only phone home).
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

run: install
	$(VENV)/bin/servematch db upgrade
	$(PY) -m scripts demo --if-empty
	@echo "ServeMatch on http://$(HOST):$(PORT)/ (sign in with a key above) — API docs at http://$(HOST):$(PORT)/docs"
	$(VENV)/bin/servematch serve --host $(HOST) --port $(PORT)

# Erase the network and load the demo again (new keys in servematch-demo-keys.json), e.g. after
# the README's walk-through erased its member; the server may keep running.
demo: install
	$(VENV)/bin/servematch db upgrade
	$(VENV)/bin/servematch demo --reset

# Refresh the vendored front-end libraries (versions: package.json "vendored") from the npm
# registry; the copies are committed, so `make run` never needs npm.
vendor:
	python3 scripts/vendor.py

lint: install $(NODE_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/servematch openapi --output $(OPENAPI)
	npx --no spectral lint --fail-severity=warn --ruleset .spectral.yaml $(OPENAPI)

# One test process per core (pytest-xdist): the suite is I/O- and CPU-bound in equal parts.
test: lint
	$(VENV)/bin/pytest -n auto

# Rewrite the README's screenshots (docs/screens/) from the browser tests; look at them after.
screens: install
	SERVEMATCH_SCREENSHOTS=1 $(VENV)/bin/pytest -n auto tests/web

# The load generator is wrk (C, so it does not take the server's CPU); installed like CI
# installs PostGIS. Pass options with BENCH_ARGS, e.g. `make bench BENCH_ARGS=--reuse`.
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing wrk (the benchmark's load generator)…"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(PY) scripts/bench.py $(BENCH_ARGS)

bench-quick: install
	@$(MAKE) --no-print-directory bench BENCH_ARGS="--quick $(BENCH_ARGS)"

# Server time of every page on the demo (its own SQLite, served in-process), against the
# issue's 300 ms budget; a Markdown table on stdout (under a minute).
bench-pages: install
	$(PY) -m scripts.bench.pages

# Mixed read/write load against `servematch serve --workers 2` on a throwaway PostGIS database
# (servematch_soak, regenerated: 20k members, 2k needs), then invariants; ~12 minutes. Writes
# bench/soak.json and docs/soak.md. Pass options with SOAK_ARGS, e.g. SOAK_ARGS="--minutes 1".
soak: install
	$(PY) scripts/soak.py $(SOAK_ARGS)

# The 12-week simulated city (issue 17): every policy on 10 seeds, compared; prints the table and
# rewrites the figures and plots in docs/quality.md (a few minutes on two cores). Options
# with SIM_ARGS, e.g. `make simulate SIM_ARGS="--quick --seeds 2"` (prints only).
simulate: install
	$(PY) scripts/simulate.py $(SIM_ARGS)

clean:
	rm -rf $(VENV) node_modules $(OPENAPI) servematch.db .pytest_cache .mypy_cache .ruff_cache
