"""Who the client is: its address comes from the connection, or from the X-Forwarded-For entries that the
configured number of proxies of ours appended, never from entries the client wrote itself; and the API's
throttles count per user, or per that address, with a Retry-After when they refuse."""

import logging

import pytest
import redis
from django.test import RequestFactory

from medspa.api.throttling import AnonThrottle, UserThrottle
from medspa.http import client_ip

PROXY = "10.0.0.2"


def ip_of(*, forwarded: str | None = None, remote: str = PROXY) -> str | None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


@pytest.mark.parametrize(
    "forwarded",
    ["", "192.0.2.7", "192.0.2.7, 192.0.2.8", "for=192.0.2.7", "garbage", '"'],
)
def test_without_a_trusted_proxy_forwarded_for_is_ignored_entirely(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 0
    assert ip_of(forwarded=forwarded, remote="203.0.113.9") == "203.0.113.9"


@pytest.mark.parametrize(
    "forwarded",
    [
        "203.0.113.9",  # what the proxy appended, alone
        "192.0.2.7, 203.0.113.9",  # a forged entry before it
        "192.0.2.8,192.0.2.7, 203.0.113.9",
        "garbage, 203.0.113.9",
        # A quote the client leaves open would, read with RFC 7239's quoting, swallow the proxy's entry and
        # leave the forged one as the answer.
        '192.0.2.7,", 203.0.113.9',
        'for=192.0.2.7;x=", 203.0.113.9',
    ],
)
def test_behind_one_proxy_the_client_is_the_entry_it_appended(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert ip_of(forwarded=forwarded) == "203.0.113.9"


def test_an_entry_no_proxy_of_ours_writes_stands_for_nothing(settings):
    """Our proxy appends an address: anything else there means the header is not what it should be, and
    the connection (our proxy) stands for the client rather than an entry that may be forged."""
    settings.TRUSTED_PROXY_COUNT = 1
    assert ip_of(forwarded='203.0.113.9, "') == PROXY
    assert ip_of(forwarded="203.0.113.9, unknown") == PROXY


def test_behind_two_proxies_the_client_is_the_second_entry_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert ip_of(forwarded="192.0.2.7, 203.0.113.9, 10.0.0.1") == "203.0.113.9"
    # Fewer entries than proxies: the leftmost was still written by one of ours (the client reached the
    # inner proxy directly).
    assert ip_of(forwarded="203.0.113.9") == "203.0.113.9"


def test_behind_a_proxy_a_request_without_forwarded_for_is_its_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert ip_of(remote="127.0.0.1") == "127.0.0.1"  # the container's health check, say
    assert ip_of(forwarded="::ffff:203.0.113.9") == "203.0.113.9"
    assert ip_of(forwarded="[2001:db8::1]:443") == "2001:db8::1"


def test_the_api_throttles_key_anonymous_clients_by_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    idents = {
        AnonThrottle().get_ident(
            RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9")
        )
        for n in range(5)
    }
    assert idents == {"203.0.113.9"}


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/min"},
    }


def test_the_request_past_the_users_rate_is_answered_429_with_retry_after(client_as, three_a_minute):
    client = client_as("provider_a1")
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    # Another user's count is their own.
    assert client_as("provider_a2").get("/api/v1/me/").status_code == 200


def test_a_cache_that_is_down_lets_api_requests_through(client_as, three_a_minute, monkeypatch, caplog):
    class Down:
        def get(self, *args, **kwargs):
            raise redis.exceptions.ConnectionError("Connection refused")

        set = get

    monkeypatch.setattr(UserThrottle, "cache", Down())
    client = client_as("provider_a1")
    with caplog.at_level(logging.ERROR, logger="medspa.api.throttling"):
        assert [client.get("/api/v1/me/").status_code for _ in range(5)] == [200] * 5
    assert "cache unavailable" in caplog.text


def test_the_schema_documents_the_429_of_every_operation(client_as):
    schema = client_as("admin_a").get("/api/schema/?format=json").json()
    operations = [op for path in schema["paths"].values() for op in path.values() if "responses" in op]
    assert operations and all("429" in op["responses"] for op in operations)
