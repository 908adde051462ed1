# Two commands for a newcomer: `make run` and `make test` (see README).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest venv migrate demo worker beat bench-eligibility clean-db

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

## make run: install, start embedded PostgreSQL if DATABASE_URL is unset, migrate, load demo data once, serve.
run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (login page: /accounts/login/, API docs: /api/docs/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy .

pytest: venv
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

## make test: lint, types, then the whole suite on PostgreSQL (embedded when DATABASE_URL is unset).
test: lint typecheck pytest

## Celery against Redis (set REDIS_URL): a worker and beat in two terminals.
worker: venv
	$(VENV)/bin/celery -A hefei_aid worker -l info --concurrency 2

beat: venv
	$(VENV)/bin/celery -A hefei_aid beat -l info

bench-eligibility: venv
	$(PY) bench/eligibility_batch.py
