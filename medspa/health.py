"""The readiness checks behind /readyz: each asks one service the product cannot serve without, the way the
product itself reaches it, and answers within CHECK_TIMEOUT_SECONDS however that service fails.

- database: `SELECT 1` on the default database alias (its own connection in the checking thread, closed
  after: with PgBouncer or the connection pool, a connection from them).
- cache: a set, get and delete of a short-lived key in the default cache. The Redis cache answers a safe
  default when Redis is down (medspa.cache), so the check compares what it reads with what it wrote.
- broker: a connection to Celery's broker (for Redis, kombu pings it when it opens a channel); the folder
  broker of the embedded set-up counts as ready when its queue folder is writable.
- storage: the default storage answers `exists()` for a key under health/ (on S3 a HeadObject, the
  cheapest call that proves the endpoint, the credentials and the bucket; a folder must be writable).

A check that raises or runs out of time fails with the exception's class name only: its message may name a
host, a user or a key, and the answer is for a load balancer."""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from django.core.cache import caches
from django.core.files.storage import storages
from django.db import connections

CHECK_TIMEOUT_SECONDS = 2.0
HEALTH_PREFIX = "health/"

# The checks run side by side, each in a thread of this small pool, so that the answer waits for the
# slowest only. A check stuck past the deadline keeps its thread until its own timeout frees it; with four
# threads, probes that arrive meanwhile wait in the queue and fail by the deadline, never piling up.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def database_check() -> str:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()
    return "postgresql"


def cache_check() -> str:
    cache = caches["default"]
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    read = cache.get(key)
    cache.delete(key)
    if read != value:
        raise ConnectionError("the cache did not keep a value")
    kind = type(cache).__name__.lower()  # ResilientRedisCache, DatabaseCache, LocMemCache
    return "redis" if "redis" in kind else kind.removesuffix("cache")


def broker_check() -> str:
    from medspa.celery import app

    url = str(app.conf.broker_url or "")
    if url.startswith("filesystem://"):
        folder = (app.conf.broker_transport_options or {}).get("data_folder_in", "")
        if not (folder and os.access(folder, os.W_OK)):
            raise PermissionError("the broker's folder is not writable")
        return "filesystem"
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        connection.default_channel  # noqa: B018 (opening a channel is the broker's round trip)
    return url.partition("://")[0]


def storage_check() -> str:
    storage = storages["default"]
    location = getattr(storage, "base_location", None)  # a folder (FileSystemStorage)
    if location is not None:
        Path(storage.location).mkdir(parents=True, exist_ok=True)
        if not os.access(storage.location, os.W_OK):
            raise PermissionError("the media folder is not writable")
    storage.exists(f"{HEALTH_PREFIX}readyz")
    return "filesystem" if location is not None else "s3"


CHECKS = {"database": database_check, "cache": cache_check, "broker": broker_check, "storage": storage_check}


def _timed(check):
    started = time.monotonic()
    backend = check()
    return backend, round((time.monotonic() - started) * 1000, 1)


def readiness(checks: dict | None = None, timeout: float = CHECK_TIMEOUT_SECONDS) -> dict[str, dict]:
    """Each check's result: {"ok": bool, "backend": ..., "ms": ...} or {"ok": False, "error": ...}."""
    checks = CHECKS if checks is None else checks
    futures = {name: _pool.submit(_timed, check) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout)
    results = {}
    for name, future in futures.items():
        if not future.done():
            future.cancel()
            results[name] = {"ok": False, "error": "timeout"}
        elif future.exception() is not None:
            results[name] = {"ok": False, "error": type(future.exception()).__name__}
        else:
            backend, ms = future.result()
            results[name] = {"ok": True, "backend": backend, "ms": ms}
    return results
