# GuruConnect: `make run` starts the product locally; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WEB_OUT := src/guruconnect/web/static/app.js
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/package.json web/package-lock.json web/build.mjs

.PHONY: run test lint typecheck web-test pytest bench venv web clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@scripts/ensure-python-venv "$(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

web: $(WEB_OUT)

$(WEB_OUT): $(WEB_SRC)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	cd web && npm run build
	@touch $@

run: venv web
	$(PY) scripts/run_local.py

lint: venv
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src

# The agent and the protocol must also type-check as Windows code (the Windows agent).
WIN_TYPED := src/guruconnect/agent src/guruconnect/protocol

typecheck: venv web
	$(VENV)/bin/mypy --strict src
	$(VENV)/bin/mypy --strict --platform win32 $(WIN_TYPED)
	cd web && npm run typecheck

web-test: web
	cd web && npm test

pytest: venv web
	$(PY) -m pytest

test: lint typecheck web-test pytest

bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) web/node_modules src/guruconnect/web/static
