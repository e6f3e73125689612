# Plumbline developer entry points. `make help` lists them.
#
#   make demo      zero-setup demo: SQLite + file-based Celery broker, http://127.0.0.1:8000/
#   make test      full pytest suite against real PostgreSQL + Redis (started if missing)
#   make check     linters, import contracts, migrations, deploy checks, OpenAPI schema
#
# Every recipe runs in bash with -euo pipefail, so any failing command fails the target.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

# Test services; override from the environment (e.g. DATABASE_URL=... make test).
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/plumbline
REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

DEMO_PORT ?= 8000
# Browser tests read PLUMBLINE_CHROMIUM (tests/browser/conftest.py).
PLUMBLINE_CHROMIUM ?= /usr/bin/chromium

# Sample values for `manage.py check --deploy`: not a real secret, never used to serve anything.
CHECK_DEPLOY_ENV := \
	DJANGO_SETTINGS_MODULE=config.settings.production \
	DJANGO_SECRET_KEY=bHQH1TokUUqEB5Utks3LcDUMPaLX9wJ4Sh6UvPY8umJqHyoM0ilX12TNNGND \
	DATABASE_URL='$(DATABASE_URL)' \
	REDIS_URL='$(REDIS_URL)' \
	DJANGO_ALLOWED_HOSTS=plumbline.example \
	STRIPE_API_KEY=sk_live_sample_for_check_only \
	STRIPE_PUBLISHABLE_KEY=pk_live_sample_for_check_only \
	STRIPE_WEBHOOK_SECRET=whsec_sample_for_check_only

TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL='$(DATABASE_URL)' REDIS_URL='$(REDIS_URL)'

.PHONY: help venv chromium demo services services-stop test check lint format clean distclean

# Passed to scripts through the environment (no shell quoting issues with PYTEST_ARGS).
services services-stop test: export DATABASE_URL := $(DATABASE_URL)
services services-stop test: export REDIS_URL := $(REDIS_URL)
test: export PYTEST_ARGS := $(PYTEST_ARGS)
test: export PLUMBLINE_CHROMIUM := $(PLUMBLINE_CHROMIUM)
test: export TEST_PYTHON := $(abspath $(PY))

help:
	@echo "make venv       create $(VENV) and install the project with dev extras"
	@echo "make demo       migrate, load demo data, run web + worker + beat (http://127.0.0.1:$(DEMO_PORT)/)"
	@echo "make services   make sure PostgreSQL and Redis answer (starts throw-away ones if needed)"
	@echo "make services-stop  stop throw-away services started by 'make services'"
	@echo "make test       run pytest (PYTEST_ARGS='-k foo' to pass arguments)"
	@echo "make check      ruff, ruff format, import contracts, migrations, deploy check, OpenAPI"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make format     ruff format + ruff check --fix"
	@echo "make chromium   install Debian's chromium for the browser tests (root only)"
	@echo "make clean      remove caches and generated files (keeps the demo data and $(VENV))"
	@echo "make distclean  clean + remove var/, db.sqlite3 and $(VENV)"

# --- environment -----------------------------------------------------------------------------

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last successful install.
$(STAMP): pyproject.toml | $(PY)
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Browser tests drive Debian's chromium through Playwright; never download a browser build.
chromium:
	@if [ -x "$(PLUMBLINE_CHROMIUM)" ]; then \
		echo "chromium: $(PLUMBLINE_CHROMIUM) present"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "chromium: installing Debian package 'chromium'"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "chromium: $(PLUMBLINE_CHROMIUM) is missing. Install it with:" >&2; \
		echo "    sudo apt-get update && sudo apt-get install -y chromium" >&2; \
		echo "(do not use 'playwright install': the browser tests use Debian's chromium)" >&2; \
		exit 1; \
	fi

# --- demo ------------------------------------------------------------------------------------

# The demo never touches PostgreSQL/Redis: DATABASE_URL/REDIS_URL from the caller's shell are
# dropped so config.settings.local falls back to SQLite, and Celery uses kombu's filesystem
# transport. Everything exported here reaches the honcho processes (web, worker, beat).
demo: venv
	mkdir -p var/results
	unset DATABASE_URL REDIS_URL; \
	export DJANGO_SETTINGS_MODULE=config.settings.local \
		CELERY_BROKER_URL=filesystem:// \
		CELERY_RESULT_BACKEND=file://$(CURDIR)/var/results \
		DEMO_PORT=$(DEMO_PORT) \
		PYTHONUNBUFFERED=1 \
		PATH="$(abspath $(BIN)):$$PATH"; \
	python manage.py migrate --noinput; \
	python manage.py load_demo; \
	echo; \
	echo "=================================================================="; \
	echo "  Plumbline demo: http://127.0.0.1:$(DEMO_PORT)/   (Ctrl-C stops it)"; \
	echo "=================================================================="; \
	echo; \
	exec honcho -f Procfile.demo start

# --- services and tests ----------------------------------------------------------------------

# Leaves any throw-away instances running; stop them with `make services-stop`.
services:
	scripts/ensure_services.sh --env-file var/services.env
	@echo "(to use them in your shell: source var/services.env)"

services-stop:
	scripts/ensure_services.sh --stop var/services.env

# run_tests.sh ensures the services, runs pytest, stops anything it started and exits with
# pytest's code (5 = no tests collected counts as a failure).
test: venv chromium
	scripts/run_tests.sh

# --- static checks ---------------------------------------------------------------------------

check: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(CHECK_DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(TEST_ENV) $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/mypy
	@echo "make check: all passed"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Caches and generated files; keeps the demo database (db.sqlite3, var/media) and $(VENV).
clean:
	rm -rf staticfiles/ .pytest_cache .ruff_cache .mypy_cache test-results *.egg-info \
		var/results var/broker var/test-media var/test-private
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Everything generated, including the demo database, var/ and $(VENV).
distclean: clean
	if [ -f var/services.env ]; then scripts/ensure_services.sh --stop var/services.env; fi
	rm -rf var/ db.sqlite3 $(VENV)
