"""The settings `make load` serves the product with, under gunicorn on loopback: the tests' overlay (their
database, DEBUG off, production security except plain-HTTP cookies and no HTTPS redirect), plus what
production has and the tests do without:

- a cache the gunicorn workers share, for the public pages' rate limits: Redis when REDIS_URL is set, else the
  database cache (the product's fallback without Redis);
- Celery tasks queued, not run inside the request, so that a booking's follow-ups cost what they cost in
  production (the enqueue): into Redis, as in production, when REDIS_URL is set (under a key prefix of the
  run's own, LOAD_BROKER_PREFIX, that no worker reads; the run deletes its keys afterwards), else into a
  throwaway folder broker (LOAD_BROKER_DIR);
- one trusted proxy, as behind the TLS proxy: each visitor's own IP is the X-Forwarded-For entry locust
  sends, as the proxy would append it (the visitors reach gunicorn from loopback).
"""

import os
from pathlib import Path

from medspa.cache import redis_cache
from medspa.env import filesystem_broker_options
from tests.settings import *  # noqa: F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
TRUSTED_PROXY_COUNT = 1  # medspa.http.client_ip, our throttles and the sign-in rate limits
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": TRUSTED_PROXY_COUNT}  # noqa: F405
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
if REDIS_URL:  # noqa: F405
    CACHES = {"default": redis_cache(REDIS_URL, socket_timeout=CACHE_SOCKET_TIMEOUT_MS / 1000)}  # noqa: F405
    CELERY_BROKER_URL = REDIS_URL  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **REDIS_BROKER_OPTIONS,  # noqa: F405
        "global_keyprefix": os.environ.get("LOAD_BROKER_PREFIX", "medspa-load:"),
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(
        Path(os.environ.get("LOAD_BROKER_DIR") or DATA_DIR / "load-broker")  # noqa: F405
    )

# Warnings and errors only (a 500's traceback among them): the access log would be the load itself.
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")}}  # noqa: F405

# The run's throwaway copy of the tests' database (scripts/load/run.py makes it, and drops it afterwards).
if os.environ.get("LOAD_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["LOAD_DATABASE_NAME"]  # noqa: F405
