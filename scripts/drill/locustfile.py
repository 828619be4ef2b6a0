"""The scale drill's simulated users (locust), against the TLS proxy: `make load`'s everyday mix (Visitor,
FrontDesk, Provider from scripts/load/locustfile.py, their state and records included) and DrillBooker, an
API client booking free slots of its own hand with an idempotency key per booking.

A booking whose answer is lost (no answer, or the proxy's 502 / 503 / 504: the node it reached died) is sent
again with the same key, as a careful integration does: the product answers the booking the key made (200)
or makes it now (201), never a second one. Each booking's outcome (key, last status, appointment id,
attempts) and the time of every failed request go to DRILL_OUTCOMES (JSON) when the run stops, for the
drill's count of what was lost or doubled.

Requests go through `requests` (locust's HttpUser), which trusts the proxy's certificate: Caddy's local
root, REQUESTS_CA_BUNDLE (set by scripts/drill/checks.py)."""

import itertools
import json
import os
import random
import time
from pathlib import Path

from locust import HttpUser, clients, constant, events, task

from scripts.load import locustfile as everyday
from scripts.load.locustfile import FrontDesk, Provider, Visitor, state  # noqa: F401 (users for locust)

# locust verifies certificates with a context it loads once from certifi's bundle (locust.clients): the
# proxy's local root joins it, so that the drill's clients trust Caddy's certificate and nothing else new.
if os.environ.get("REQUESTS_CA_BUNDLE"):
    clients._preloaded_ssl_context.load_verify_locations(os.environ["REQUESTS_CA_BUNDLE"])

_request = clients.HttpSession.request


def _request_as_a_browser(self, method, url, *args, **kwargs):
    """A browser's form post names its origin; over HTTPS, Django's CSRF check refuses a post naming
    neither an Origin nor a Referer (`make load`'s plain HTTP does not ask)."""
    if method.upper() not in ("GET", "HEAD", "OPTIONS"):
        kwargs["headers"] = {"Origin": self.base_url, **(kwargs.get("headers") or {})}
    return _request(self, method, url, *args, **kwargs)


clients.HttpSession.request = _request_as_a_browser

BOOKING = "drill: POST /api/v1/appointments/ (booking, retried on a lost answer)"
RETRIED = {0, 502, 503, 504}  # no answer, or the proxy could not get one from a node
ATTEMPTS = 10  # 0.5 s apart: longer than the proxy takes to see a node gone

_numbers = itertools.count()
bookings: list[dict] = []
failures_at: list[float] = []


@events.request.add_listener
def _failure_time(exception=None, **kwargs):
    if exception is not None:
        failures_at.append(time.time())


@events.quitting.add_listener
def _write(environment, **kwargs):
    path = os.environ.get("DRILL_OUTCOMES")
    if path:
        Path(path).write_text(json.dumps({"bookings": bookings, "failures_at": failures_at}))


class EarningsReader(everyday._SignedIn):
    """A provider reading their earnings page now and then: the page the web nodes read from the standby
    (DATABASE_REPLICA_URL), so that the drill's count of the standby's transactions shows it serving reads."""

    fixed_count = 1  # taken from --users, as the bookers are
    wait_time = constant(1)

    def on_start(self):
        rows = state()["providers"]
        self._sign_in(rows[next(everyday._counters["Provider"]) % len(rows)]["session"])

    @task
    def earnings(self):
        with self.client.get(
            "/provider/earnings/", name="GET /provider/earnings/ (read replica)", allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            everyday._check(response, (200,))


class DrillBooker(HttpUser):
    """A front-desk integration booking free slots of its own hand, one after another."""

    fixed_count = int(os.environ.get("DRILL_BOOKERS", "6"))  # the rest of --users is the everyday mix
    wait_time = constant(float(os.environ.get("DRILL_BOOK_WAIT", "0.2")))

    def on_start(self):
        book = state()["book"]
        number = next(_numbers)  # a hand of its own: no two bookers share a slot
        self.hand = iter(book["hands"][number % len(book["hands"])])
        self.token = book["api_tokens"][number % len(book["api_tokens"])]
        self.rng = random.Random(number)

    @task
    def book(self):
        payload = everyday.next_booking(self.hand, self.rng)
        outcome = {"key": payload["idempotency_key"], "status": None, "id": None, "attempts": 0}
        bookings.append(outcome)
        while outcome["attempts"] < ATTEMPTS:
            outcome["attempts"] += 1
            with self.client.post(
                "/api/v1/appointments/", json=payload, headers={"Authorization": f"Token {self.token}"},
                name=BOOKING, catch_response=True,
            ) as response:  # fmt: skip
                status = response.status_code or 0
                outcome["status"] = status
                if status in (200, 201, 409):
                    response.success()
                    if status != 409:
                        outcome["id"] = response.json().get("id")
                    return
                response.failure(f"HTTP {status}" if status else f"no answer: {response.error!r}")
            if status not in RETRIED:
                return
            time.sleep(0.5)
