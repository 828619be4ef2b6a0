"""The Redis cache's client (medspa.cache.OneClientPerPool): one redis-py client per connection pool, shared
by every call and every thread, which still finds Redis again after a restart."""

import threading

import pytest

from medspa.cache import ResilientRedisCache

pytestmark = pytest.mark.slow  # starts a redis-server of its own (the redis_process fixture)


def test_every_call_uses_one_client_and_threads_share_it(redis_process):
    cache = ResilientRedisCache(redis_process.url(0), {"OPTIONS": {"socket_timeout": 2}})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client and cache._cache.get_client(write=True) is client

    cache.set("visits", 0)
    barrier = threading.Barrier(8)

    def visit():
        barrier.wait()
        for _ in range(100):
            cache.incr("visits")

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("visits") == 800


def test_the_shared_client_finds_redis_again_after_a_restart(redis_process):
    cache = ResilientRedisCache(redis_process.url(0), {"OPTIONS": {"socket_timeout": 1}})
    cache.set("before", 1)
    redis_process.kill()
    assert cache.get("before") is None  # down: the safe default, no exception
    redis_process.start()  # the same port, nothing kept
    cache.set("after", 2)
    assert cache.get("after") == 2
