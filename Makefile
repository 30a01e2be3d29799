# Every target sets itself up on a fresh machine: uv is bootstrapped if missing, then the locked
# environment is synced. UV_COMPILE_BYTECODE=1: this machine disables .pyc writing, which makes
# `import airflow` more than twice as slow.
SHELL := /bin/bash
export UV_COMPILE_BYTECODE := 1
# only interpreters already on the machine (the registries are reachable, other downloads are not)
export UV_PYTHON_DOWNLOADS := never
export PATH := $(CURDIR)/.uv/bin:$(HOME)/.local/bin:$(PATH)
UV := uv
PYTEST_ARGS ?=

# The oldest supported Airflow, in a second environment (.venv-oldest) installed from a compiled,
# hash-pinned requirements file (ci/airflow-oldest.txt, committed); `make compile-oldest` re-resolves
# it from pyproject.toml (+ the postgres extra and the dev group) with ci/airflow-oldest.in's pin.
# See docs/compatibility.md.
OLDEST_VENV := .venv-oldest
OLDEST_IN := ci/airflow-oldest.in
OLDEST_REQS := ci/airflow-oldest.txt
# Airflow 3.1.0's release day (PyPI upload 2025-09-25): its dependencies as they were then, as
# Airflow's own constraint files do; with today's, 3.1.0 itself fails to import (structlog).
OLDEST_EXCLUDE_NEWER := 2025-09-26T00:00:00Z

.PHONY: uv sync test test-load lint demo bench sandbox e2e clean sync-oldest test-oldest compile-oldest

# uv from PyPI into a private venv (.uv/); if venv is unavailable, a user install.
uv:
	@command -v $(UV) >/dev/null 2>&1 || (python3 -m venv .uv && .uv/bin/python -m pip install --quiet uv) \
	  || python3 -m pip install --quiet --user uv \
	  || python3 -m pip install --quiet --user --break-system-packages uv

# --inexact: drivers a user added (e.g. psycopg2-binary, asyncpg) stay installed; --extra postgres: the
# [postgres] extra, which the message store's tests use
sync: uv
	$(UV) sync --frozen --inexact --extra postgres --quiet

test: sync
	$(UV) run --frozen --no-sync python -m pytest $(PYTEST_ARGS)

compile-oldest: uv
	$(UV) pip compile --quiet pyproject.toml --extra postgres --group dev --constraint $(OLDEST_IN) --universal \
	  --exclude-newer $(OLDEST_EXCLUDE_NEWER) --generate-hashes --custom-compile-command "make compile-oldest" \
	  --output-file $(OLDEST_REQS)

# pip sync removes what the file doesn't list (the project itself too): the project is then
# installed editable without dependencies, for its entry points (provider info, pytest plugin).
sync-oldest: uv
	test -x $(OLDEST_VENV)/bin/python || $(UV) venv --quiet $(OLDEST_VENV)
	$(UV) pip sync --quiet --python $(OLDEST_VENV)/bin/python $(OLDEST_REQS)
	$(UV) pip install --quiet --python $(OLDEST_VENV)/bin/python --no-deps --editable .

test-oldest: sync-oldest
	$(OLDEST_VENV)/bin/python -m pytest $(PYTEST_ARGS)

# the receiver's 20,000-report load test (PostgreSQL, a receiver kill and restart): about 2 minutes
test-load: sync
	MESSAGING_LOAD_TESTS=1 $(UV) run --frozen --no-sync python -m pytest -m load -s $(PYTEST_ARGS)

# ruff (lint + format check) and mypy (strict) on the package, ruff's lint on the tests too;
# configured in pyproject.toml
lint: sync
	$(UV) run --frozen --no-sync ruff check airflow_provider_messaging tests
	$(UV) run --frozen --no-sync ruff format --check airflow_provider_messaging
	$(UV) run --frozen --no-sync mypy

demo: sync
	$(UV) run --frozen --no-sync python example_dags/run_demo.py

bench: sync
	$(UV) run --frozen --no-sync python benchmarks/send_throughput.py

# A real deployment (PostgreSQL, api-server, scheduler, dag-processor, triggerer, the sandbox), see
# docs/deployment.md. E2E_ARGS="--executor celery" for CeleryExecutor with Redis and two workers.
E2E_ARGS ?=
e2e: uv
	$(UV) sync --frozen --inexact --quiet --extra postgres --extra celery
	$(UV) run --frozen --no-sync python e2e/run.py $(E2E_ARGS)

sandbox: sync
	$(UV) run --frozen --no-sync python -m airflow_provider_messaging.sandbox --port 8085

clean:
	rm -rf .venv $(OLDEST_VENV) .pytest_cache
