# Two commands for a new user: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PYTHONDONTWRITEBYTECODE := 1
# `make run` is a local, development run: DEBUG on unless the environment says otherwise.
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: help run test test-fast bench setup install lint migrate demo lock db-stop clean

help:
	@echo "make run    set everything up and start web + worker + beat on http://127.0.0.1:8000"
	@echo "make test   set everything up, then ruff, the import contracts, the migrations check and the whole test suite"
	@echo "make test-fast   the same without the slow tests (browser, real processes, walks over every page)"

# The development lock (production's dependencies and the test tools), every file checked against its hash.
$(STAMP): pyproject.toml requirements/dev.lock
	@test -x $(PY) || { py=$$(scripts/find-python) && echo "Creating $(VENV) with $$py" && $$py -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

install: $(STAMP)

# Database and demo data; every step is idempotent.
setup: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py createcachetable
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(PY) manage.py seed_demo

run: setup
	@$(RUN_ENV) $(PY) manage.py demo_logins
	@trap '$(PY) manage.py embedded_db stop' EXIT; \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(RUN_ENV) $(VENV)/bin/honcho start -f Procfile

# ruff, then the import contracts of pyproject.toml (the apps' layers, no cycle inside an app).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# The test settings use their own embedded PostgreSQL (unless DATABASE_URL is set), stopped at the end.
# One pytest-xdist worker per core: each has its own test database and its own pair of database roles.
# worksteal: a worker that runs out of tests takes some of the other's, so neither waits on a slow tail.
# Each worker starts its own PgBouncer in transaction mode in front of that PostgreSQL and runs the tests
# through it, as production does (tests/pgbouncer.py); TEST_PGBOUNCER=0 connects straight to PostgreSQL.
PYTEST_ARGS ?= -n auto --dist worksteal
test: install lint
	scripts/ensure-chromium
	scripts/ensure-redis
	scripts/ensure-age
	scripts/ensure-caddy
	scripts/ensure-pgbouncer
	@trap 'DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py embedded_db stop' EXIT; \
		DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run && \
		$(PY) -m pytest $(PYTEST_ARGS)

# The quick loop while working: the same set-up and checks, without the slow tests (browser, real processes,
# walks over every page); `make test` runs everything.
test-fast: PYTEST_ARGS = -n auto --dist worksteal -m "not slow"
test-fast: test

# Speed on seeded busy medspas, p50 / p95: scheduling (open slots, first available, the admin week view),
# a booking through the API against /healthz (CPU and wall time, the ratio, SQL statements per booking) and
# earnings (a year of 20,000 sales: the earnings pages and the CSV export).
# The tests' embedded PostgreSQL, not the demo one; each command seeds and deletes its own medspa.
bench: install
	@trap 'DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py embedded_db stop' EXIT; \
		DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py bench_scheduling $(BENCH_ARGS) && \
		DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py bench_booking $(BENCH_ARGS) && \
		DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py bench_earnings $(BENCH_ARGS)

demo: setup

# Both locks from pyproject.toml with every file's sha256, by uv in a throwaway venv (needs the package
# index): requirements/prod.lock, the [project] dependencies (the Dockerfile installs it), and
# requirements/dev.lock, those and the dev extra at the same versions (`make install`). Versions already
# locked stay unless pyproject.toml asks for others; LOCK_UPGRADE=--upgrade takes the newest allowed.
# --universal: one lock for every Python >= 3.12 and platform, markers saying where a package applies.
UV_VERSION := 0.13.10
UV_COMPILE = .lock-venv/bin/uv pip compile pyproject.toml --quiet --universal --generate-hashes \
	--custom-compile-command 'make lock' $(LOCK_UPGRADE)
lock:
	rm -rf .lock-venv && $$(scripts/find-python) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV_COMPILE) -o requirements/prod.lock
	$(UV_COMPILE) --extra dev -c requirements/prod.lock -o requirements/dev.lock
	rm -rf .lock-venv

db-stop: install
	$(PY) manage.py embedded_db stop

clean: 
	-$(PY) manage.py embedded_db stop
	rm -rf $(VENV) .data staticfiles

# Backups of the configured database (DATABASE_URL, else the embedded one): a pg_dump custom-format file,
# .data/backups/medspa-<UTC time>.dump unless BACKUP_FILE says where. `make restore BACKUP_FILE=...` restores
# one into an empty database; RESTORE_FORCE=1 restores over one that is not. See scripts/backup.
.PHONY: backup restore
backup: install
	$(PY) scripts/backup

restore: install
	$(PY) scripts/restore

# The encrypted backups of the backups storage (a folder, or the bucket under S3_BUCKET), as the daily job
# makes them: `make backup-now` makes one now; `make restore-backup BACKUP=latest` (or a backup's name)
# restores one into the configured database, which must be empty, with BACKUP_AGE_IDENTITY_FILE.
BACKUP ?= latest
.PHONY: backup-now restore-backup
backup-now: install
	scripts/ensure-age
	$(RUN_ENV) $(PY) manage.py backup_database

restore-backup: install
	scripts/ensure-age
	$(RUN_ENV) $(PY) manage.py backup_restore $(BACKUP)

# Under load (not part of `make test`): gunicorn on 127.0.0.1 and a free port, against a throwaway copy of the
# tests' database seeded with a busy medspa, driven by locust; bounded in time, it stops everything by itself.
# `make load`: the everyday mix, LOAD_USERS (20) for LOAD_SECONDS (60), then the booking throughput (below).
# `make load-race`: 50 clients book the same few slots at once, then the database is checked for double
# bookings. `make load-book`: the booking throughput alone, BOOK_CLIENTS (50) API clients each booking free
# slots of its own back to back for BOOK_SECONDS (30) on 2 workers x 4 threads (LOAD_WORKERS, LOAD_THREADS):
# bookings/s, p50 / p95 / p99, errors, 409s and the double-booking check. See scripts/load/run.py. The
# booking load caches in Redis, as production does (docker-compose.yml): LOAD_REDIS_URL (a local Redis, its
# database 0); an empty one falls back to the database cache.
.PHONY: load load-race load-book
LOAD_REDIS_URL ?= redis://127.0.0.1:6379/0
load: install
	@trap 'DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py embedded_db stop' EXIT; \
		DJANGO_SETTINGS_MODULE=scripts.load.settings $(PY) -m scripts.load.run && \
		REDIS_URL=$(LOAD_REDIS_URL) DJANGO_SETTINGS_MODULE=scripts.load.settings $(PY) -m scripts.load.run --book

load-race: install
	@trap 'DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py embedded_db stop' EXIT; \
		DJANGO_SETTINGS_MODULE=scripts.load.settings $(PY) -m scripts.load.run --race

load-book: install
	@trap 'DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py embedded_db stop' EXIT; \
		REDIS_URL=$(LOAD_REDIS_URL) DJANGO_SETTINGS_MODULE=scripts.load.settings $(PY) -m scripts.load.run --book

# The scale drill (not part of `make test`): on this machine and 127.0.0.1 only, bounded in time, stopping
# everything it started by itself (also on Ctrl-C): a primary PostgreSQL and a standby streaming from it,
# PgBouncer (transaction mode), moto's S3 server, a Redis of its own, two gunicorn nodes behind Caddy (TLS),
# two Celery workers. A photo uploaded through one node is read through the other; locust loads the proxy for
# DRILL_SECONDS (60) while one node and one worker are killed; prints the figures and exits 1 if anything was
# lost or doubled. See docs/scale-drill.md and scripts/drill/run.py.
.PHONY: drill-scale
drill-scale: install
	scripts/ensure-pgbouncer
	scripts/ensure-caddy
	scripts/ensure-redis
	$(PY) -m scripts.drill.run $(DRILL_ARGS)
