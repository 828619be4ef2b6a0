"""Celery on more than one machine: whether this machine's worker and beat are alive (`manage.py
celery_health`, the containers' health checks), and the system check that keeps the cache and the broker in
Redis databases of their own.

The worker answers a ping: Celery's remote control (`celery inspect ping`,
https://docs.celeryq.dev/en/stable/userguide/monitoring.html#commands) sent through the broker to this
host's node only (`celery@<hostname>`, the worker's default node name), answered by the worker's own
consumer. No answer within the timeout means the worker is dead, hung (its main loop takes no message), or
cannot reach the broker: in each case it takes no task either. A heartbeat file touched by a worker signal
would only say that some thread of the process is alive, not that it still consumes from a broker that
answers.

Beat sends nothing the worker could answer for it, so its scheduler touches a file on every tick
(CELERY_BEAT_HEARTBEAT_FILE); beat ticks at least every beat_max_loop_interval seconds, and the file older
than BEAT_STALE_TICKS of them means beat is dead or stuck."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

from celery.beat import PersistentScheduler
from django.conf import settings
from django.core import checks
from kombu.exceptions import OperationalError
from redis.connection import parse_url

logger = logging.getLogger(__name__)

BEAT_STALE_TICKS = 3  # beat's heartbeat this many of its longest ticks old: beat is dead or stuck


def worker_node_name() -> str:
    """This host's worker, by Celery's default node name (`-n` not given): celery@<hostname>."""
    return f"celery@{socket.gethostname()}"


def worker_answers(node: str, *, timeout: float) -> bool:
    """Whether the worker `node` answers a ping through the broker within about `timeout` seconds (twice
    that at most: connecting to the broker, then waiting for the answer)."""
    from medspa.celery import app

    with app.connection_for_write(connect_timeout=timeout) as connection:
        try:
            connection.ensure_connection(max_retries=1, timeout=timeout)
            replies = app.control.ping(destination=[node], timeout=timeout, connection=connection)
        except (OperationalError, *connection.connection_errors, OSError) as error:
            logger.warning("The broker did not answer: %s", error)
            return False
    return any(node in reply for reply in replies)


def beat_heartbeat_file() -> Path:
    return Path(settings.CELERY_BEAT_HEARTBEAT_FILE)


def beat_stale_after() -> float:
    """Seconds after which beat's heartbeat is stale: BEAT_STALE_TICKS of its longest ticks."""
    from medspa.celery import app

    return BEAT_STALE_TICKS * (app.conf.beat_max_loop_interval or PersistentScheduler.max_interval)


def beat_heartbeat_age() -> float | None:
    """Seconds since beat last ticked, or None when it never has (no heartbeat file)."""
    try:
        return max(0.0, time.time() - beat_heartbeat_file().stat().st_mtime)
    except FileNotFoundError:
        return None


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler (its state in the --schedule file) that touches the heartbeat file after
    every tick: `celery_health beat` reads its age."""

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        try:
            beat_heartbeat_file().touch()
        except OSError:  # beat goes on; its health check reports the stale file
            logger.exception("Beat could not touch its heartbeat file %s", beat_heartbeat_file())
        return interval


def _redis_database(url: str) -> tuple | None:
    """(host, port or socket path, database number) of a Redis URL; None for anything that is not Redis."""
    if not url.startswith(("redis://", "rediss://", "unix://", "redis+socket://")):
        return None
    options = parse_url(url.replace("redis+socket://", "unix://", 1))
    where = options.get("path") or (options.get("host", "localhost"), int(options.get("port", 6379)))
    return where, int(options.get("db", 0))


@checks.register(checks.Tags.caches)
def cache_and_broker_apart(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production, the cache and the Celery broker in one Redis database is a warning: a FLUSHDB meant to
    clear the cache would drop the queued tasks, and no eviction policy could keep the cache's keys apart."""
    if settings.DEBUG:
        return []
    location = settings.CACHES.get("default", {}).get("LOCATION")
    cache = _redis_database(location) if isinstance(location, str) else None
    broker = _redis_database(str(settings.CELERY_BROKER_URL or ""))
    if cache is None or cache != broker:
        return []
    return [
        checks.Warning(
            "The cache and the Celery broker share one Redis database: flushing the cache (FLUSHDB) would "
            "drop queued tasks.",
            hint="Give each its own database: REDIS_CACHE_URL=redis://host:6379/0 and "
            "CELERY_BROKER_URL=redis://host:6379/1; under maxmemory, maxmemory-policy volatile-lru or "
            "noeviction, never allkeys-* (docs/operations.md).",
            id="medspa.W001",
        )
    ]
