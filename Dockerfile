# syntax=docker/dockerfile:1
# The product's image for docker-compose.yml: web (gunicorn), worker, beat and the one-shot migrate run it.
# Two stages. The builder turns requirements/prod.lock into wheels, pip checking every file against the
# lock's sha256 hashes; the final image installs those wheels alone: production dependencies only (no test
# tools, no compiler, no pip cache), the code owned by root and read-only to the user the processes run as.
#
# Debian trixie, the base of this Python image, ships PostgreSQL 17's client tools: the same major version
# as docker-compose.yml's server (postgres:17), which pg_dump needs for backups (tests/test_deploy_files.py
# holds the two together) and age, which encrypts them (BACKUP_AGE_RECIPIENTS).
ARG PYTHON_IMAGE=python:3.13-slim-trixie

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements/prod.lock /build/prod.lock
RUN pip wheel --require-hashes --only-binary=:all: --wheel-dir /wheels -r /build/prod.lock \
 && cp /build/prod.lock /wheels/prod.lock

FROM ${PYTHON_IMAGE} AS runtime
# A fixed uid and gid, so that a volume or a bind mount can be given to the same user on every host.
ARG APP_UID=10001
ARG APP_GID=10001
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app DATA_DIR=/app/.data WEB_CONCURRENCY=3

RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-17 age \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid "${APP_GID}" medspa \
 && useradd --system --uid "${APP_UID}" --gid medspa --home-dir /app --no-create-home \
    --shell /usr/sbin/nologin medspa

# The builder's wheels, mounted for this step only: the image keeps the installed packages, not the wheels.
# The hashes are checked again, against the same lock, as they are installed.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels --require-hashes -r /wheels/prod.lock

WORKDIR /app
COPY . /app
# Static files are collected once, here (whitenoise serves them, with their hashed names); the settings need
# a database URL and a key to load, neither of which is used. .data is the one writable folder: the embedded
# defaults' files, the media folder when no bucket is configured, beat's schedule.
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build-only \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/.data/media /app/.data/backups \
 && chown -R medspa:medspa /app/.data
VOLUME ["/app/.data"]
USER ${APP_UID}:${APP_GID}

EXPOSE 8000
# Liveness only (GET /livez checks nothing but the process answering); readiness is the proxy's business
# (deploy/Caddyfile asks /readyz). worker and beat replace this with their own check in docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/livez', timeout=4)"]
# WEB_CONCURRENCY is gunicorn's own default for --workers.
# --keep-alive 75: longer than Caddy keeps an idle connection to a node (deploy/Caddyfile), so gunicorn never
# closes one just as Caddy sends a request on it.
CMD ["gunicorn", "medspa.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--graceful-timeout", "30", \
     "--keep-alive", "75"]
