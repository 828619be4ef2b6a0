"""The project's Redis cache, which survives Redis being down: every operation that cannot reach Redis is
logged and answers the safe default instead of raising (a raise is a 500 on every page that touches the
cache: the public booking and slot pages' rate limits, allauth's sign-in rate limits, the TOTP replay guard).

What "safe" means, per use of the cache:
- Rate limits (scheduling.services.ratelimit, allauth's ACCOUNT_RATE_LIMITS, the API throttles) fail open:
  `add` answers True (a fresh window, the first request), `get` the caller's default (no history). They only
  bound volume; refusing every patient and clinician because Redis restarted would stop the medspa, as the API
  throttles already decided (medspa.api.throttling).
- The TOTP replay guard (allauth.mfa's "used code" marker) fails closed: `add` answers False, so a code
  cannot be used twice while nobody can check; the sign-in answers "incorrect code", never a 500, and a
  recovery code (kept in the database) still signs in.
- Writes (`set`, `touch`, `delete`, ...) are dropped: nothing in the project keeps data only in the cache.

Connecting and each command are bounded by short socket timeouts (CACHE_SOCKET_TIMEOUT_SECONDS), so an
outage or a Redis that stops answering holds no request for long."""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# Keys whose `add` guards against a replay: refused when Redis cannot say the key is new.
FAIL_CLOSED_PREFIXES = ("allauth.mfa.totp.used",)


class OneClientPerPool(RedisCacheClient):
    """Django's Redis cache client, with one redis-py client per connection pool, made once: Django makes a
    client for every cache call, and redis-py's client builds its table of response callbacks each time
    (two calls of an API throttle per request: 0.2 ms of CPU). A client may be shared between threads: it
    takes a connection from its pool for each command
    (https://redis.readthedocs.io/en/stable/advanced_features.html, "A note about threading")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # by connection pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = super().get_client(key, write=write)
        return client


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering the safe default (see the module's docstring) when Redis is down."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = OneClientPerPool

    def _unreachable(self, operation: str, key: object = "") -> None:
        logger.warning("Cache unavailable, %s %s answered its safe default", operation, key, exc_info=True)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE:
            self._unreachable("add", key)
            return not str(key).startswith(FAIL_CLOSED_PREFIXES)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE:
            self._unreachable("get", key)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE:
            self._unreachable("set", key)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except UNREACHABLE:
            self._unreachable("touch", key)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE:
            self._unreachable("delete", key)
            return False

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNREACHABLE:
            self._unreachable("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNREACHABLE:
            self._unreachable("has_key", key)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE:
            # As for a key that expired meanwhile: callers already handle it (scheduling.services.ratelimit
            # starts a new window, and then its `set` is dropped).
            self._unreachable("incr", key)
            raise ValueError(f"Key {key!r} not found (the cache is unavailable)") from None

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE:
            self._unreachable("set_many")
            return list(data)

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except UNREACHABLE:
            self._unreachable("delete_many")

    def clear(self):
        try:
            return super().clear()
        except UNREACHABLE:
            self._unreachable("clear")
            return False


def redis_cache(url: str, *, socket_timeout: float) -> dict:
    """The CACHES entry for Redis at `url`."""
    return {
        "BACKEND": "medspa.cache.ResilientRedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "socket_connect_timeout": socket_timeout,
            "socket_timeout": socket_timeout,
            "health_check_interval": 30,
        },
    }
