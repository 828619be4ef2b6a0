"""/livez asks nothing; /readyz asks PostgreSQL, the cache, the broker and storage, and names what fails:
each failure here is real (a redis-server killed, an S3 endpoint where nothing listens, the database's
address pointed at a closed port), never a mocked check."""

import socket
import time

import pytest
from django.db import connections
from django.test import Client

from medspa import health
from medspa.cache import redis_cache
from tests.s3 import storage_options
from tests.test_faults import broker_at


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_livez_answers_without_a_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_answers_ok_naming_each_check(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["database"]["backend"] == "postgresql"


def test_the_probes_answer_plain_http_where_everything_else_is_sent_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_redis_down_fails_the_cache_and_the_broker(db, redis_process, settings):
    settings.CACHES = {"default": redis_cache(redis_process.url(0), socket_timeout=0.5)}
    with broker_at(redis_process.url(1)):
        up = Client().get("/readyz")
        redis_process.kill()
        started = time.monotonic()
        down = Client().get("/readyz")
        waited = time.monotonic() - started
    assert up.status_code == 200, up.json()
    assert up.json()["checks"]["cache"]["backend"] == "redis"
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "unavailable" and sorted(body["failing"]) == ["broker", "cache"]
    assert body["checks"]["database"]["ok"] and body["checks"]["storage"]["ok"]
    assert waited < health.CHECK_TIMEOUT_SECONDS + 1


def test_s3_answers_then_an_unreachable_endpoint_fails_storage(db, s3, settings):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["storage"] == {**response.json()["checks"]["storage"], "backend": "s3"}

    unreachable = {**storage_options(f"http://127.0.0.1:{_closed_port()}"), "location": "media"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": unreachable},
    }
    down = Client().get("/readyz")
    assert down.status_code == 503
    assert down.json()["failing"] == ["storage"]


def test_the_database_out_of_reach_fails_the_database_check_without_saying_where(db, monkeypatch):
    port = _closed_port()
    database = connections.settings["default"]  # what each new connection of the app is opened with
    monkeypatch.setitem(database, "HOST", "127.0.0.1")
    monkeypatch.setitem(database, "PORT", str(port))

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert str(port) not in response.content.decode() and "Traceback" not in response.content.decode()


def test_a_check_that_hangs_fails_by_the_deadline():
    started = time.monotonic()
    results = health.readiness({"stuck": lambda: time.sleep(3), "quick": lambda: "x"}, timeout=0.3)
    assert time.monotonic() - started < 1
    assert results["stuck"] == {"ok": False, "error": "timeout"}
    assert results["quick"]["ok"]


@pytest.mark.parametrize("path", ["/livez", "/readyz"])
def test_the_probes_take_no_other_method(client, db, path):
    assert client.post(path).status_code == 405
