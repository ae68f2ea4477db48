# Frontline: `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml uv.lock | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/frontline
REDIS_URL ?= redis://127.0.0.1:6379/0
DEV_ENV := DJANGO_DEBUG=1

.PHONY: install upgrade demo test test-sqlite test-postgres lint bench bench-scale prod load messages clean

# Installs exactly the versions in uv.lock. --locked fails when pyproject.toml and the lock
# disagree (run `make upgrade` or `uv lock` after editing the dependencies); --inexact leaves
# pip and uv themselves in the venv. --compile-bytecode: these machines set
# PYTHONDONTWRITEBYTECODE, so without it every process (each import command, each worker)
# compiles Django and its dependencies again (~0.7 s).
$(STAMP): pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check 'uv==$(UV_VERSION)' 2>&1 | grep -v "is ignored" || true
	UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync -q --locked --inexact --no-install-project --extra dev --compile-bytecode --python $(PY)
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Move every dependency to the newest release pyproject.toml admits, then install it; commit uv.lock.
upgrade:
	@test -x $(VENV)/bin/uv || $(MAKE) install
	$(VENV)/bin/uv lock --upgrade
	$(MAKE) install

demo: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py recompute_metrics
	$(DEV_ENV) $(PY) manage.py run_plays --days 30
	@echo ""
	@echo "Frontline is running at http://$(HOST):$(PORT)/  (admin: /admin/, COO pipeline: /pipeline/, API docs: /api/docs/)"
	@echo "Demo logins (password for all: frontline-demo): coo, admin (superuser), csm_manufacturing, lead_manufacturing"
	@echo "Stop with Ctrl-C; run 'make demo' again to come back to the same data."
	$(DEV_ENV) exec $(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: install lint
	@bash scripts/run_tests.sh

bench: install
	@bash scripts/bench.sh

# The engine at a million accounts, on a database of its own that it drops (scripts/bench_scale.sh).
bench-scale: install
	@bash scripts/bench_scale.sh

# Production stack on this machine: needs DATABASE_URL, CELERY_BROKER_URL and DJANGO_SECRET_KEY.
prod: install
	@test -n "$$DATABASE_URL" || { echo "set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/frontline)"; exit 2; }
	@test -n "$$CELERY_BROKER_URL" || { echo "set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"; exit 2; }
	@test -n "$$DJANGO_SECRET_KEY" || { echo "set DJANGO_SECRET_KEY"; exit 2; }
	$(PY) manage.py check --deploy --fail-level WARNING
	@case "$$DATABASE_URL" in postgres*) bash scripts/ensure_partman.sh || true;; esac
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	exec $(VENV)/bin/honcho start -f Procfile

# 60 s of steady API traffic against the production stack on loopback (scripts/load.sh).
load: install
	@bash scripts/load.sh

# Re-extract the zh-hans catalogue (needs gettext's xgettext) and compile it; commit both files.
messages: install
	$(DEV_ENV) $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=artifacts --ignore=staticfiles --ignore=tests --ignore=bench
	$(DEV_ENV) $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles artifacts
