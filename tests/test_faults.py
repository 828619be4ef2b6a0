"""Fault drills: the broker (Redis) down, PostgreSQL dropping every connection mid-load, an outside API that
hangs, and every Celery task delivered twice.

- Broker down: the page that queued work still answers, and the work is done once: a task the broker does
  not take runs at once in the process that queued it (medspa.celery.BrokerFallbackTask); when the broker
  is back, a worker drains it and nothing is done twice.
- PostgreSQL drops every connection (what a restart does to its clients): requests in flight may fail
  cleanly (a 500 page, never a hang), and the following ones succeed with nothing restarted, with Django's
  own connections and with the psycopg pool of the production compose file.
- An outside API hangs: transition/tests/test_transition.py covers 503s, refusals and late answers after the
  vendor acted; here a vendor that does not answer at all is reported ("did not answer within ...") and
  retried.
- At-least-once: every task of the project, run twice with one message (same id, same arguments), has its
  effect once."""

import ast
import importlib
import runpy
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import redis
import time_machine
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from kombu import pools

from billing.models import Bill, BillLine, PlanPeriod
from medspa.cache import ResilientRedisCache
from medspa.celery import app, broker_transport_options
from medspa.env import filesystem_broker_options
from medspa.messaging import sms
from medspa.models import Invitation
from medspa.tenancy import medspa_scope
from providers.models import CareMessageLog, Sale
from providers.services import checkout, settlement
from scheduling.models import Appointment, NotificationLog
from services_catalog.tests.factories import (
    CareMessageFactory,
    CareMessageVersionFactory,
    IntakeFormFactory,
    IntakeFormVersionFactory,
)
from tests import factories
from transition.models import ConfirmationEmail
from transition.models.transitions import StepKind, StepStatus
from transition.services import confirmations as transition_confirmations
from transition.services import runner as transition_runner
from transition.tests import test_transition as transition_tests

pytestmark = pytest.mark.slow  # stops and starts real Redis, workers and PostgreSQL connections

LA = ZoneInfo("America/Los_Angeles")
ROOT = Path(__file__).resolve().parent.parent


# --- The broker down ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _real_broker(tmp_path) -> tuple[str, dict]:
    """The machine's Redis when it answers (a database of its own, so no other run's worker takes these
    messages), else a folder broker of this test's own."""
    if _answers("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/13", dict(settings.REDIS_BROKER_OPTIONS)
    return "filesystem://", filesystem_broker_options(tmp_path / "broker")


def _drop_connections() -> None:
    """Forgets the broker connections and producers made so far (kombu keeps them in global pools)."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str, transport_options: dict | None = None):
    """Tasks go through the broker at `url` (not run eagerly) inside the block."""
    conf = app.conf
    saved = conf.broker_url, conf.broker_transport_options, conf.task_always_eager
    _drop_connections()
    conf.broker_url, conf.task_always_eager = url, False
    conf.broker_transport_options = broker_transport_options(url, transport_options)  # as configured
    try:
        yield
    finally:
        _drop_connections()
        conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved


@pytest.fixture
def booking_world(cast, settings):
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    sms.outbox.clear()
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    url = reverse("booking_location", args=[cast.medspa_a.slug, location.slug])
    return appointment_type, url


def _book(url, appointment_type, *, days: int, hour: int, first_name: str, email: str):
    start = datetime.combine(
        timezone.now().astimezone(LA).date() + timedelta(days=days), clock_time(hour), tzinfo=LA
    )
    return Client(raise_request_exception=False).post(
        url,
        {
            "appointment_type": appointment_type.pk,
            "provider": "any",
            "start": start.isoformat(),
            "idempotency_key": str(uuid.uuid4()),
            "first_name": first_name,
            "last_name": "Lopez",
            "email": email,
            "phone": f"(619) 555-01{hour:02}",
            "date_of_birth": "1990-04-02",
            "consent_email": "on",
            "consent_sms": "on",
        },
    )


def _sent_to(address: str) -> int:
    return sum(address in message.to for message in mail.outbox)


def test_with_the_broker_down_pages_answer_and_the_work_is_done_once(
    transactional_db, cast, booking_world, tmp_path, caplog
):
    appointment_type, url = booking_world
    admin = Client(raise_request_exception=False)
    admin.force_login(cast.admin_a)

    with broker_at(f"redis://127.0.0.1:{_free_port()}/0"):  # nothing listens there
        started = time.monotonic()
        booked = _book(url, appointment_type, days=2, hour=10, first_name="Ana", email="down@mail.example")
        waited = time.monotonic() - started
        invited = admin.post("/invitations/", {"email": "nurse.down@example.com", "as_provider": "on"})
    print(f"broker down: the booking page answered in {waited:.1f} s")

    assert booked.status_code == 303 and invited.status_code == 302
    with medspa_scope(cast.medspa_a):
        appointment = Appointment.objects.get(patient__email="down@mail.example")
        # Done at once, in the request: the confirmation by email and SMS, and the invitation.
        assert _sent_to("down@mail.example") == 1 and len(sms.outbox) == 1
        assert _sent_to("nurse.down@example.com") == 1
        assert set(
            NotificationLog.objects.filter(appointment=appointment).values_list("kind", "channel", "status")
        ) == {("confirmation", "email", "sent"), ("confirmation", "sms", "sent")}
    refused = [r for r in caplog.records if r.name == "medspa.celery" and "did not take" in r.getMessage()]
    # The booking's one message and the invitation's: the booking's follow-ups then ran here, without
    # asking the broker again (scheduling.tasks.appointment_followups).
    assert {r.args[0] for r in refused} == {
        "scheduling.tasks.appointment_followups",
        "medspa.tasks.invitation_email_send",
    }

    # The broker is back: a worker takes what is queued now; the outage's notification, delivered again
    # (as a redelivery would), is not sent twice.
    from scheduling.tasks import appointment_notify

    finished: list[str] = []

    def record(task_id=None, **kwargs):
        finished.append(task_id)

    task_postrun.connect(record, weak=False)
    try:
        with broker_at(*_real_broker(tmp_path)):
            app.control.purge()  # whatever an interrupted earlier run left in this test's queue
            with start_worker(
                app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
            ):
                again = _book(
                    url, appointment_type, days=3, hour=11, first_name="Bea", email="back@mail.example"
                )
                redelivered = appointment_notify.delay(appointment.pk, appointment.medspa_id, "confirmation")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and (len(finished) < 4 or redelivered.id not in finished):
                    time.sleep(0.1)
    finally:
        task_postrun.disconnect(record)
    # The booking's follow-ups, the confirmation and its GFE side they queued, the redelivery
    assert again.status_code == 303 and len(finished) == 4
    assert _sent_to("back@mail.example") == 1 and _sent_to("down@mail.example") == 1
    assert len(sms.outbox) == 2
    with medspa_scope(cast.medspa_a):
        assert Invitation.objects.filter(email="nurse.down@example.com").count() == 1


def test_a_broker_that_stops_answering_holds_no_page(transactional_db, cast, booking_world):
    """Redis accepts the connection and never answers (a failover, a firewall dropping packets): the publish
    gives up after the bounded socket timeouts, the page answers and the confirmation goes once."""
    appointment_type, url = booking_world
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections complete in the backlog; nothing is ever read or answered
        with broker_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0"):
            started = time.monotonic()
            booked = _book(
                url, appointment_type, days=2, hour=14, first_name="Cy", email="silent@mail.example"
            )
            waited = time.monotonic() - started
    assert booked.status_code == 303
    assert waited < 15, waited  # two attempts of 3 s each, not forever
    assert _sent_to("silent@mail.example") == 1 and len(sms.outbox) == 1
    print(f"silent broker: the booking page answered in {waited:.1f} s")


# --- Redis down: the cache and the broker at once -------------------------------------------------------


class RedisProcess:
    """A redis-server of the test's own on a free loopback port, which the test stops and starts."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: scripts/ensure-redis installs it (make test runs it)"
        self.binary, self.folder, self.port = binary, folder, _free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers("127.0.0.1", self.port):
            assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _production_caches(monkeypatch, redis_url: str) -> dict:
    """The CACHES that the product's own settings make when REDIS_URL is set."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    return runpy.run_path(str(ROOT / "medspa" / "settings.py"))["CACHES"]


def test_with_redis_down_booking_slot_search_and_sign_in_answer_and_the_booking_is_kept(
    transactional_db, cast, booking_world, redis_process, settings, monkeypatch
):
    appointment_type, url = booking_world
    settings.CACHES = _production_caches(monkeypatch, redis_process.url(0))
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    day = timezone.now().astimezone(LA).date() + timedelta(days=2)
    search = f"{url}?type={appointment_type.pk}&provider={provider.pk}&day={day.isoformat()}"
    visitor = Client(raise_request_exception=False)

    with broker_at(redis_process.url(1)):
        assert visitor.get(search).status_code == 200  # Redis up: the slot lookup is counted there
        cache_db = redis.Redis.from_url(redis_process.url(0))
        assert any(cache_db.scan_iter(match="*ratelimit:slot-lookup*"))

        redis_process.kill()
        searched = visitor.get(search)
        booked = _book(
            url, appointment_type, days=2, hour=10, first_name="Ana", email="redis.down@mail.example"
        )
        signed_in = Client(raise_request_exception=False).post(
            "/accounts/login/", {"login": cast.admin_a.email, "password": factories.TEST_PASSWORD}
        )
        refused = Client(raise_request_exception=False).post(
            "/accounts/login/", {"login": cast.admin_a.email, "password": "not-the-password"}
        )
        assert (searched.status_code, booked.status_code) == (200, 303)
        assert (signed_in.status_code, refused.status_code) == (302, 200)
        with medspa_scope(cast.medspa_a):
            appointment = Appointment.objects.get(patient__email="redis.down@mail.example")
            # The broker is down too: the confirmation went from the request itself (BrokerFallbackTask).
            assert _sent_to("redis.down@mail.example") == 1 and len(sms.outbox) == 1
            assert set(
                NotificationLog.objects.filter(appointment=appointment).values_list("channel", "status")
            ) == {("email", "sent"), ("sms", "sent")}

        # Redis is back, and the same processes use it again: the cache counts, the broker takes the work.
        redis_process.start()
        assert visitor.get(search).status_code == 200
        assert any(cache_db.scan_iter(match="*ratelimit:slot-lookup*"))
        again = _book(
            url, appointment_type, days=3, hour=11, first_name="Bea", email="redis.back@mail.example"
        )
        assert again.status_code == 303
        queued = redis.Redis.from_url(redis_process.url(1)).llen(settings.CELERY_TASK_DEFAULT_QUEUE)
        assert queued == 1  # the new booking's follow-ups (its confirmation and GFE side), for a worker
        assert _sent_to("redis.back@mail.example") == 0


def test_with_redis_down_the_cache_fails_open_for_rate_limits_and_closed_for_the_totp_replay_guard():
    dead = ResilientRedisCache(
        f"redis://127.0.0.1:{_free_port()}/0", {"OPTIONS": {"socket_timeout": 0.5}}
    )  # nobody there
    assert dead.add("ratelimit:booking-post:203.0.113.9:1", 1) is True  # a fresh window: let through
    assert dead.get("allauth-rate-limit-history", []) == []
    assert dead.add("allauth.mfa.totp.used?user=1&code=123456", "y") is False  # refused: may be a replay
    dead.set("a", 1)
    assert dead.get("a") is None and dead.delete("a") is False


# --- PostgreSQL drops every connection ------------------------------------------------------------------


def _terminate_all_backends() -> int:
    """What a PostgreSQL restart does to its clients: every connection of the test database is cut (from a
    connection of its own)."""
    with psycopg.connect(**_conninfo(connection.settings_dict), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    connection.close()  # the test's own connection was cut as well
    return killed


def _conninfo(settings_dict: dict, name: str | None = None) -> dict:
    keys = {"dbname": "NAME", "user": "USER", "password": "PASSWORD", "host": "HOST", "port": "PORT"}
    info = {key: settings_dict[setting] for key, setting in keys.items()}
    if name:
        info["dbname"] = name
    return {key: value for key, value in info.items() if value}


def _get(url: str, cookie: str = "") -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # a hang fails the test
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@contextmanager
def _psycopg_pool():
    """The production compose file's set-up (DATABASE_POOL): one psycopg pool per process."""
    from django.db import connections

    settings_dict = connections.settings["default"]
    saved = dict(settings_dict.get("OPTIONS", {}))
    connections.close_all()
    settings_dict["OPTIONS"] = {**saved, "pool": {"min_size": 4, "max_size": 4}}
    connection.settings_dict["OPTIONS"] = settings_dict["OPTIONS"]
    try:
        yield
    finally:
        connections.close_all()
        connection.close_pool()
        settings_dict["OPTIONS"] = saved
        connection.settings_dict["OPTIONS"] = saved


@pytest.mark.parametrize("pooled", [False, True], ids=["connection-per-request", "psycopg-pool"])
def test_postgresql_dropping_every_connection_mid_load_fails_cleanly_and_recovers(
    transactional_db, live_server, cast, pooled
):
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    location, _ = factories.scheduling_world(cast.medspa_a, [provider])
    public = live_server.url + reverse("booking_location", args=[cast.medspa_a.slug, location.slug])
    signed_in = Client()
    signed_in.force_login(cast.admin_a)
    cookie = f"{settings.SESSION_COOKIE_NAME}={signed_in.cookies[settings.SESSION_COOKIE_NAME].value}"
    pages = [
        (public, ""),
        (live_server.url + "/healthz", ""),
        (live_server.url + reverse("dashboard_patients"), cookie),
    ]

    with _psycopg_pool() if pooled else nullcontext():
        assert [_get(url, c) for url, c in pages] == [200, 200, 200]

        statuses, stop = [], threading.Event()

        def load():
            while not stop.is_set():
                for url, c in pages:
                    statuses.append(_get(url, c))

        with ThreadPoolExecutor(3) as pool:
            loads = [pool.submit(load) for _ in range(3)]
            time.sleep(0.5)
            killed = _terminate_all_backends()
            time.sleep(0.5)
            stop.set()
        for finished in loads:
            finished.result()  # a request that hung (urlopen's timeout) fails the test here
        assert killed >= 1
        # A request whose connection is cut fails with a 500 page; one cut while its session is saved gets
        # Django's 400 (SessionInterrupted: the session store reports a database error as an update error).
        assert set(statuses) <= {200, 400, 500, 503}, statuses
        after = [_get(url, c) for url, c in pages * 2]
    print(
        f"pooled={pooled} killed={killed} during: {len(statuses)} requests, "
        f"{ {code: statuses.count(code) for code in sorted(set(statuses))} }, after={after}"
    )
    assert after[len(pages) :] == [200] * len(pages), after


# --- Races on real PostgreSQL ---------------------------------------------------------------------------


def _race(requests: list[Callable[[], int]]) -> list[int]:
    """Runs the requests at once, each in a thread with its own database connection; their statuses."""
    barrier = threading.Barrier(len(requests))

    def run(request) -> int:
        try:
            with scopes_disabled():
                barrier.wait()
                return request()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


def test_cart_adds_racing_order_submits_answer_without_a_500_and_lose_or_double_no_line(
    transactional_db, cast, client_as
):
    from inventory_orders.models import CartLine, OrderLine

    medspa = factories.shipping_address(cast.medspa_a)  # Launch: ordering is open
    catalog = factories.catalog_world()
    admin = client_as("admin_a")
    assert (
        admin.post(
            reverse("inventory_orders:cart_add"), {"product": catalog.toxin.pk, "quantity": 1}
        ).status_code
        == 302
    )
    clients = [client_as("admin_a") for _ in range(20)]
    for client in clients:
        client.raise_request_exception = False
    delivery = factories.medspa_today(medspa) + timedelta(days=14)
    while delivery.weekday() >= 5:
        delivery += timedelta(days=1)

    def add(client):
        return lambda: (
            client.post(
                reverse("inventory_orders:cart_add"), {"product": catalog.gloves.pk, "quantity": 1}
            ).status_code
        )

    def submit(client):
        return lambda: client.post(
            reverse("inventory_orders:checkout"),
            {"delivery_date": delivery.isoformat(), "payment_method": "card", "notes": "",
             "idempotency_key": str(uuid.uuid4())},
        ).status_code  # fmt: skip

    statuses = _race([add(c) if i % 2 else submit(c) for i, c in enumerate(clients)])
    adds, submits = statuses[1::2], statuses[0::2]
    print(f"cart adds: {adds}, submits: {submits}")
    assert set(adds) == {302}, adds
    assert set(submits) <= {302, 400} and 302 in submits, submits  # 400: the cart was empty by then
    with scopes_disabled():
        ordered = sum(
            OrderLine.objects.filter(medspa=medspa, product=catalog.gloves).values_list("quantity", flat=True)
        )
        left = sum(
            CartLine.objects.filter(medspa=medspa, product=catalog.gloves).values_list("quantity", flat=True)
        )
        assert ordered + left == len(adds)  # each added glove ordered or still in the cart, once
        assert OrderLine.objects.filter(medspa=medspa, product=catalog.toxin).count() == 1


def test_twenty_bookings_of_the_last_free_room_book_one_and_answer_409_to_the_rest(
    transactional_db, cast, settings
):
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    with medspa_scope(cast.medspa_a):
        providers = [cast.provider_a1.memberships.get(), cast.provider_a2.memberships.get()]
    location, appointment_type = factories.scheduling_world(cast.medspa_a, providers, rooms=1)
    url = reverse("booking_location", args=[cast.medspa_a.slug, location.slug])
    start = datetime.combine(
        timezone.now().astimezone(LA).date() + timedelta(days=2), clock_time(10), tzinfo=LA
    ).isoformat()

    def book(number: int):
        return lambda: Client(raise_request_exception=False).post(
            url,
            {"appointment_type": appointment_type.pk, "provider": "any", "start": start,
             "idempotency_key": str(uuid.uuid4()), "first_name": f"Patient{number}", "last_name": "Race",
             "email": f"race{number}@mail.example", "phone": f"(619) 555-02{number:02}",
             "date_of_birth": "1990-04-02", "consent_email": "on", "consent_sms": "on"},
            REMOTE_ADDR=f"203.0.113.{number + 1}",  # twenty visitors, each under the booking rate limit
        ).status_code  # fmt: skip

    statuses = _race([book(number) for number in range(20)])
    print(f"last free room: {sorted(statuses)}")
    assert sorted(statuses) == [303] + [409] * 19
    with scopes_disabled():
        assert Appointment.objects.filter(appointment_type=appointment_type).count() == 1


@contextmanager
def _inserts_losing_a_race(connect_as, sqlstate: str, times: int):
    """The next `times` appointment inserts fail as a lost race does in PostgreSQL (40P01 deadlock
    detected, 40001 serialization failure), raised by the database itself from a trigger of the drill's."""
    table = Appointment._meta.db_table
    owner = connect_as("owner")
    owner.autocommit = True
    owner.execute("CREATE SEQUENCE drill_lost_races")
    owner.execute(
        f"""CREATE FUNCTION drill_lose_race() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN
            IF nextval('drill_lost_races') <= {times:d} THEN
                RAISE EXCEPTION 'lost a race (drill)' USING ERRCODE = '{sqlstate}';
            END IF;
            RETURN NEW;
        END $$"""
    )
    owner.execute(
        f"CREATE TRIGGER drill_lose_race BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION drill_lose_race()"
    )
    try:
        yield
    finally:
        owner.execute(f"DROP TRIGGER drill_lose_race ON {table}")
        owner.execute("DROP FUNCTION drill_lose_race()")
        owner.execute("DROP SEQUENCE drill_lost_races")


@pytest.mark.parametrize(
    ("sqlstate", "times", "answer"),
    [("40P01", 1, 303), ("40001", 2, 303), ("40P01", 50, 409)],
    ids=["a-deadlock-once", "serialization-failures-twice", "deadlocks-every-time"],
)
def test_a_booking_that_loses_a_race_for_a_lock_is_retried_or_answered_409_never_500(
    transactional_db, cast, booking_world, connect_as, sqlstate, times, answer
):
    appointment_type, url = booking_world
    with _inserts_losing_a_race(connect_as, sqlstate, times):
        booked = _book(url, appointment_type, days=2, hour=10, first_name="Di", email="race@mail.example")
    assert booked.status_code == answer
    with medspa_scope(cast.medspa_a):
        assert Appointment.objects.filter(patient__email="race@mail.example").count() == (answer == 303)


# --- An outside API hangs -------------------------------------------------------------------------------
# transition/tests/test_transition.py covers a vendor answering 503 for a while, a refusal, and an answer
# that came too late after the vendor acted
# (test_a_step_run_twice_does_its_work_once);
# transition/tests/test_integrations.py bounds each attempt by the timeout. Here the vendor does not answer
# at all.


def test_a_vendor_that_does_not_answer_is_reported_retried_later_and_then_succeeds(cast, settings, request):
    medspa, vendors = request.getfixturevalue("legacy")["medspa"], request.getfixturevalue("configured")
    day = transition_tests.effective(medspa)
    with medspa_scope(medspa):
        transition = transition_tests.schedule(cast, medspa, day, keeps=False)
    path = f"{transition_tests.TC}/v2/group/G1/"
    for _ in range(settings.INTEGRATION_MAX_ATTEMPTS):  # every attempt of the client's call hangs, then fails
        vendors.script("DELETE", path, hang=settings.INTEGRATION_TIMEOUT_SECONDS + 0.5, status=503)
    started = time.monotonic()
    with time_machine.travel(transition_tests.at(medspa, day), tick=True):
        transition_tests.sweep()
    assert time.monotonic() - started < 10  # each attempt bounded by the timeout: no hang
    with medspa_scope(medspa):
        step = transition_tests.steps(transition)[StepKind.TIGERCONNECT]
        assert (step.status, step.attempts) == (StepStatus.PENDING, 1)
        assert step.detail.startswith(
            f"Attempt 1 of {transition_runner.MAX_ATTEMPTS} failed (TigerConnect did not answer within "
            f"{settings.INTEGRATION_TIMEOUT_SECONDS:g} s."
        ), step.detail
        assert vendors.state.tc_groups["G1"] == "active"
        assert transition.timeline.filter(message__contains="did not answer").exists()
    with time_machine.travel(transition_tests.at(medspa, day) + timedelta(minutes=5), tick=True):
        transition_tests.sweep()
    with medspa_scope(medspa):
        step.refresh_from_db()
    assert (step.status, step.attempts, step.needs_hand) == (StepStatus.WAITING, 2, True)  # users: staff
    assert vendors.state.tc_groups["G1"] == "deleted"
    assert vendors.state.effects.count("tigerconnect group G1") == 1


# --- Every task, delivered twice --------------------------------------------------------------------------
# Celery delivers at least once: acks_late, a worker killed mid-task, a visibility timeout, or a publish
# that reported an error after Redis took the message (then BrokerFallbackTask runs it here as well) all
# mean one message run twice, with one id and the same arguments. Each task must then have its effect once.


@dataclass
class Drill:
    args: tuple
    effect: Callable[[], object]  # a snapshot of everything the task changes (emails, texts, rows)


DRILLS: dict[str, Callable[[pytest.FixtureRequest], Drill]] = {}


def drill(name: str):
    def register(setup):
        DRILLS[name] = setup
        return setup

    return register


def _outbox() -> tuple:
    return tuple((tuple(m.to), m.subject) for m in mail.outbox), tuple(m["to"] for m in sms.outbox)


def _rows(queryset, *fields) -> list:
    return sorted(queryset.values_list(*fields), key=repr)


def _notified() -> tuple:
    return _outbox(), _rows(NotificationLog.objects, "kind", "channel", "status")


def _gfe_asked() -> tuple:
    from gfe.models import Clearance, GfeRequest

    return (
        _rows(GfeRequest.objects, "patient_id", "source", "status"),
        _rows(Clearance.objects, "patient_id", "service_id", "status"),
    )


@drill("scheduling.tasks.appointment_notify")
def _appointment_notify(request):
    cast = request.getfixturevalue("cast")
    _, appointment = _booked(cast)
    return Drill((appointment.pk, appointment.medspa_id, "confirmation"), _notified)


def _booked(cast, *, hours_ahead: int = 72):
    provider = cast.provider_a1.memberships.get()
    _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    patient = factories.PatientFactory(
        medspa=cast.medspa_a, email="twice@mail.example", phone="+16195550142",
        consent_email=True, consent_sms=True,
    )  # fmt: skip
    start = (timezone.now() + timedelta(hours=hours_ahead)).replace(minute=0, second=0, microsecond=0)
    appointment = Appointment.objects.create(
        medspa=cast.medspa_a, location=appointment_type.location, provider=provider, patient=patient,
        appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
        blocked_start=start, blocked_end=start + timedelta(minutes=40),
    )  # fmt: skip
    return appointment_type, appointment


@drill("scheduling.tasks.appointment_gfe")
def _appointment_gfe(request):
    # A booking of a service that needs clearance, the patient without one: the task requests the GFE once.
    cast = request.getfixturevalue("cast")
    _, appointment = _booked(cast)
    assert appointment.appointment_type.service.effective_requires_gfe
    return Drill((appointment.pk, appointment.medspa_id, "confirmation"), _gfe_asked)


@drill("scheduling.tasks.appointment_followups")
def _appointment_followups(request):
    # A booking's follow-ups, queued from the task: the confirmation sent once, the GFE requested once.
    cast = request.getfixturevalue("cast")
    _, appointment = _booked(cast)
    return Drill((appointment.pk, appointment.medspa_id, "confirmation"), lambda: (_notified(), _gfe_asked()))


@drill("scheduling.tasks.reminders_sweep")
def _reminders_sweep(request):
    cast = request.getfixturevalue("cast")
    _, appointment = _booked(cast, hours_ahead=47)  # inside the 48-hour reminder, booked days before
    Appointment.objects.filter(pk=appointment.pk).update(created_at=timezone.now() - timedelta(days=5))
    return Drill((), lambda: (_outbox(), _rows(NotificationLog.objects, "kind", "channel", "status")))


@drill("scheduling.tasks.paperwork_reminders_sweep")
def _paperwork_reminders_sweep(request):
    cast = request.getfixturevalue("cast")
    appointment_type, appointment = _booked(cast, hours_ahead=47)  # inside the 48-hour paperwork reminder
    Appointment.objects.filter(pk=appointment.pk).update(created_at=timezone.now() - timedelta(days=5))
    form = IntakeFormFactory(medspa=cast.medspa_a)
    IntakeFormVersionFactory(form=form)
    appointment_type.intake_forms.add(form)  # a form still to fill in
    return Drill((), lambda: (_outbox(), _rows(NotificationLog.objects, "kind", "channel", "status")))


@drill("scheduling.tasks.pre_visit_care_sweep")
def _pre_visit_care_sweep(request):
    cast = request.getfixturevalue("cast")
    appointment_type, appointment = _booked(cast, hours_ahead=23)  # inside the care message's 24 hours
    Appointment.objects.filter(pk=appointment.pk).update(created_at=timezone.now() - timedelta(days=5))
    message = CareMessageFactory(medspa=cast.medspa_a, timing="pre", lead_hours=24)
    CareMessageVersionFactory(care_message=message)
    appointment_type.service.care_messages.add(message)
    return Drill((), lambda: (_outbox(), _rows(NotificationLog.objects, "kind", "channel", "status")))


def _left_pending(cast):
    """A confirmation whose worker was killed mid-send, its lease run out."""
    _, appointment = _booked(cast)
    return NotificationLog.objects.create(
        medspa=cast.medspa_a, appointment=appointment, kind="confirmation", channel="email",
        status=NotificationLog.Status.PENDING, next_attempt_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip


@drill("scheduling.tasks.notification_send")
def _notification_send(request):
    row = _left_pending(request.getfixturevalue("cast"))
    return Drill(
        (row.pk, row.medspa_id),
        lambda: (_outbox(), _rows(NotificationLog.objects, "kind", "channel", "status")),
    )


@drill("scheduling.tasks.notifications_sweep")
def _notifications_sweep(request):
    _left_pending(request.getfixturevalue("cast"))
    return Drill((), lambda: (_outbox(), _rows(NotificationLog.objects, "kind", "channel", "status")))


@drill("providers.tasks.visit_care_messages_send")
def _care_messages(request):
    cast, world, provider = (request.getfixturevalue(name) for name in ("cast", "world", "provider"))
    sale = factories.paid_visit(world, provider, cast.provider_a1)
    return Drill(
        (sale.visit.pk, sale.medspa_id),
        lambda: (_outbox(), _rows(CareMessageLog.objects, "care_message_id", "channel", "status")),
    )


def _care_message_owed(request):
    """A paid visit's care messages decided (and owed) but never sent: the worker died after the decision."""
    from providers.services import care_messages

    cast, world, provider = (request.getfixturevalue(name) for name in ("cast", "world", "provider"))
    visit = factories.paid_visit(world, provider, cast.provider_a1).visit
    monkeypatch = request.getfixturevalue("monkeypatch")
    with monkeypatch.context() as killed:
        killed.setattr(care_messages, "_deliver", lambda *args, **kwargs: "")
        care_messages.visit_care_messages_send(visit_id=visit.pk)
    rows = CareMessageLog.objects.filter(visit=visit)
    effect = lambda: (_outbox(), _rows(CareMessageLog.objects, "care_message_id", "channel", "status"))  # noqa: E731
    return rows, effect


@drill("providers.tasks.care_message_send")
def _care_message_send(request):
    rows, effect = _care_message_owed(request)
    row = rows.get(channel="sms")
    return Drill((row.pk, row.medspa_id), effect)


@drill("providers.tasks.care_messages_sweep")
def _care_messages_sweep(request):
    rows, effect = _care_message_owed(request)
    rows.update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    return Drill((), effect)


@drill("providers.tasks.sale_receipts_sweep")
def _sale_receipts_sweep(request):
    setup = _sale_receipt(request)
    Sale.objects.filter(pk=setup.args[0]).update(
        receipt_next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    return Drill((), setup.effect)


@drill("inventory_orders.tasks.order_emails_sweep")
def _order_emails_sweep(request):
    from inventory_orders.models import OrderEvent

    setup = _order_event(request)
    OrderEvent.objects.filter(pk=setup.args[0]).update(
        email_next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    return Drill((), setup.effect)


def _receipted_sale(cast, world, provider) -> Sale:
    """A $40 serum sold by `provider` at the world's location, paid in cash, its receipt to be emailed to
    buyer@mail.example."""
    product = factories.retail_product(cast.medspa_a, "Serum", "S1", "40")
    sale = checkout.retail_sale_open(provider=provider, location=world.location, by=cast.provider_a1)
    checkout.retail_line_set(sale=sale, product=product, quantity=Decimal("1"))
    return checkout.retail_checkout(
        sale=sale, by=cast.provider_a1, receipt_email="buyer@mail.example",
        tenders=[settlement.Tender("cash", Decimal("40"))],
    )  # fmt: skip


@drill("providers.tasks.sale_receipt_send")
def _sale_receipt(request):
    sale = _receipted_sale(*(request.getfixturevalue(name) for name in ("cast", "world", "provider")))
    return Drill(
        (sale.pk, sale.medspa_id),
        lambda: (_outbox(), _rows(Sale.objects.filter(pk=sale.pk), "receipt_sent_at", "receipt_error")),
    )


@drill("inventory_orders.tasks.order_event_email")
def _order_event(request):
    from inventory_orders.models import OrderEvent
    from inventory_orders.services import cart as inventory_cart
    from inventory_orders.services import orders as order_services

    cast = request.getfixturevalue("cast")
    catalog = factories.catalog_world()
    medspa = factories.shipping_address(cast.medspa_a)
    inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=2)
    day = factories.medspa_today(medspa) + timedelta(days=14)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    order = order_services.order_submit(
        medspa=medspa, by=cast.admin_a, idempotency_key=uuid.uuid4().hex, delivery_date=day,
        payment_method="card", notes="",
    )  # fmt: skip
    event = order.events.get()
    return Drill(
        (event.pk, medspa.pk),
        lambda: (_outbox(), _rows(OrderEvent.objects.filter(pk=event.pk), "emailed_at", "email_error")),
    )


def _transition_effects(transition, vendors):
    def effect():
        steps = _rows(transition.steps.all(), "kind", "status", "attempts", "external_ref")
        medspa = type(transition.medspa).objects.get(pk=transition.medspa_id)
        return (
            steps, list(vendors.state.effects), medspa.business_model,
            _rows(PlanPeriod.objects.filter(medspa=medspa), "business_model", "starts_on", "ends_on"),
            transition.timeline.count(), _outbox(),
        )  # fmt: skip

    return effect


@drill("transition.tasks.steps_due")
def _steps_due(request):
    cast, world, vendors = (request.getfixturevalue(name) for name in ("cast", "legacy", "configured"))
    medspa = world["medspa"]
    transition = transition_tests.schedule(cast, medspa, transition_tests.effective(medspa, 0), keeps=False)
    return Drill((), _transition_effects(transition, vendors))


@drill("transition.tasks.step_run")
def _step_run(request):
    cast, world, vendors = (request.getfixturevalue(name) for name in ("cast", "legacy", "configured"))
    medspa = world["medspa"]
    transition = transition_tests.schedule(cast, medspa, transition_tests.effective(medspa, 0), keeps=False)
    step = transition_tests.steps(transition)[StepKind.MODEL_CHANGE]
    return Drill((step.pk, medspa.pk), _transition_effects(transition, vendors))


@drill("transition.tasks.confirmation_email")
def _confirmation_email(request):
    cast, medspa = request.getfixturevalue("cast"), request.getfixturevalue("legacy")["medspa"]
    transition = transition_tests.schedule(cast, medspa, transition_tests.effective(medspa, 0), keeps=False)
    transition_confirmations.openphone_account_set(
        transition=transition, by=cast.admin_a, email="me@own.example"
    )
    transition_confirmations.openphone_acknowledge(
        transition=transition, by=cast.admin_a
    )  # asks for the link
    email = transition.confirmation_emails.get()
    return Drill((email.pk, medspa.pk), _outbox)


@drill("transition.tasks.confirmation_emails_sweep")
def _confirmation_emails_sweep(request):
    setup = _confirmation_email(request)
    ConfirmationEmail.objects.filter(pk=setup.args[0]).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    return Drill((), setup.effect)


def _billing_world(cast):
    medspa = cast.medspa_a
    PlanPeriod.objects.filter(medspa=medspa).update(
        starts_on=factories.medspa_today(medspa) - timedelta(days=70)
    )
    return medspa, lambda: (_rows(Bill.objects, "medspa_id", "month", "total"), BillLine.objects.count())


@drill("billing.tasks.bills_monthly")
def _bills_monthly(request):
    _, effect = _billing_world(request.getfixturevalue("cast"))
    return Drill((), effect)


@drill("billing.tasks.bills_make")
def _bills_make(request):
    medspa, effect = _billing_world(request.getfixturevalue("cast"))
    return Drill((medspa.pk,), effect)


def _bill_world(request, *, charged: bool = False):
    """Medspa A with a Visa on file with Portrait and last month's $1,000.00 bill (charged, its receipt owed,
    when `charged`); the effect: its attempts, the card payments and the emails."""
    from billing.models import BillCharge
    from billing.services import payments as bill_payments
    from billing.tests.test_bill_payments import card_on_file, last_months_bill
    from medspa.models.payments import CardPayment

    cast = request.getfixturevalue("cast")
    card_on_file(request.getfixturevalue("stripe_local"), cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    if charged:
        bill_payments.bill_charge(bill=bill)  # the receipt's task is queued after a commit that never comes
    effect = lambda: (  # noqa: E731
        _outbox(),
        _rows(BillCharge.objects, "attempt", "status", "receipt_sent_at"),
        _rows(CardPayment.objects, "idempotency_key", "status"),
    )
    return bill, effect


@drill("billing.tasks.bill_charge")
def _bill_charge(request):
    bill, effect = _bill_world(request)
    return Drill((bill.pk, bill.medspa_id), effect)


@drill("billing.tasks.bills_charge_due")
def _bills_charge_due(request):
    _, effect = _bill_world(request)
    return Drill((), effect)


@drill("billing.tasks.bill_receipt_send")
def _bill_receipt_send(request):
    from billing.models import BillCharge

    bill, effect = _bill_world(request, charged=True)
    charge = BillCharge.objects.get(bill=bill)
    return Drill((charge.pk, bill.medspa_id), effect)


@drill("billing.tasks.bill_receipts_sweep")
def _bill_receipts_sweep(request):
    from billing.models import BillCharge

    bill, effect = _bill_world(request, charged=True)
    BillCharge.objects.filter(bill=bill).update(receipt_next_attempt_at=timezone.now() - timedelta(minutes=1))
    return Drill((), effect)


def _gfe_patient(cast):
    from gfe.services import routing as gfe_routing

    provider = cast.provider_a1.memberships.get()
    world = factories.charting_world(cast.medspa_a, provider)
    gfe_routing.gfe_settings_update(
        medspa=cast.medspa_a,
        data={"routing": "own_clearer", "clearer_email": "clearer@outside.example", "clearer_name": "Dr. Out",
              "clearer_credential": "MD"},
    )  # fmt: skip
    return world


@drill("gfe.tasks.gfe_request_notify_clearer")
def _notify_clearer(request):
    from gfe.services import requests as gfe_requests

    cast = request.getfixturevalue("cast")
    world = _gfe_patient(cast)
    patient = factories.PatientFactory(medspa=cast.medspa_a)  # not cleared yet
    gfe_request = gfe_requests.gfe_request_create(
        patient=patient, services=[world.service], requested_by=cast.admin_a
    )
    return Drill((gfe_request.pk, cast.medspa_a.pk), _outbox)


@drill("gfe.tasks.gfe_request_notify_decided")
def _notify_decided(request):
    from gfe.models import GfeRequest

    cast = request.getfixturevalue("cast")
    world = _gfe_patient(cast)  # its patient was cleared by provider_a1 (a decided request)
    decided = GfeRequest.objects.get(patient=world.patient)
    # Its decision's email owed, as a decision that notifies leaves it (the world's was made quietly).
    GfeRequest.objects.filter(pk=decided.pk).update(decision_email_next_attempt_at=timezone.now())
    return Drill((decided.pk, cast.medspa_a.pk), _outbox)


@drill("gfe.tasks.gfe_emails_sweep")
def _gfe_emails_sweep(request):
    from gfe.models import GfeRequest

    setup = _notify_clearer(request)
    GfeRequest.objects.filter(pk=setup.args[0]).update(
        clearer_email_next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    return Drill((), setup.effect)


def _clearance_world(request, days_from_today):
    from gfe.models import Clearance

    cast = request.getfixturevalue("cast")
    world = _gfe_patient(cast)
    valid_until = factories.medspa_today(world.patient.medspa) + timedelta(days=days_from_today)
    Clearance.objects.filter(patient=world.patient).update(valid_until=valid_until)
    return lambda: (_outbox(), _rows(Clearance.objects, "status", "expiry_reminder_sent_at"))


@drill("gfe.tasks.clearances_expire_nightly")
def _clearances_expire(request):
    return Drill((), _clearance_world(request, -1))


@drill("gfe.tasks.clearance_expiry_reminders")
def _clearance_reminders(request):
    return Drill((), _clearance_world(request, 20))


@drill("medspa.tasks.invitation_email_send")
def _invitation(request):
    cast = request.getfixturevalue("cast")
    invitation = factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
    return Drill((invitation.pk, cast.medspa_a.pk), _outbox)


@drill("medspa.tasks.invitation_emails_sweep")
def _invitation_emails_sweep(request):
    setup = _invitation(request)
    Invitation.objects.filter(pk=setup.args[0]).update(
        email_next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    return Drill((), setup.effect)


@drill("medspa.tasks.patient_imports_purge")
def _patient_imports(request):
    from medspa.models import PatientImport

    cast = request.getfixturevalue("cast")
    for confirmed in (None, timezone.now()):
        row = PatientImport.objects.create(
            medspa=cast.medspa_a, uploaded_by=cast.admin_a, filename="p.csv", confirmed_at=confirmed,
            rows=[{"line": 2, "first_name": "Ann"}],
        )  # fmt: skip
        PatientImport.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=3))
    return Drill((), lambda: _rows(PatientImport.objects, "filename", "confirmed_at", "rows"))


@drill("medspa.tasks.sessions_clear_expired")
def _sessions(request):
    from django.contrib.sessions.models import Session

    from medspa.models import UserSession

    cast = request.getfixturevalue("cast")
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(hours=1)
    )
    UserSession.objects.create(user=cast.admin_a, session_key="x" * 32)
    return Drill(
        (), lambda: (_rows(Session.objects, "session_key"), _rows(UserSession.objects, "session_key"))
    )


def _card_payment(request, key: str, amount: str = "45.50"):
    """A card payment of medspa A that succeeded at the local Stripe server (its fee not learned yet)."""
    from medspa.tests.test_payments import _charge

    card = request.getfixturevalue("patient_card")
    with medspa_scope(card.medspa):
        return _charge(card, key, Decimal(amount))


def _card_figures():
    from medspa.models.payments import CardPayment

    return _rows(CardPayment.objects, "idempotency_key", "status", "fee", "net", "payout_id", "paid_out_at")


@drill("medspa.tasks.card_payment_fees_learn")
def _card_payment_fees(request):
    payment = _card_payment(request, "drill-fees")
    return Drill((payment.pk,), _card_figures)


@drill("medspa.tasks.card_fees_sweep")
def _card_fees_sweep(request):
    from medspa.models.payments import CardPayment

    payment = _card_payment(request, "drill-fees-sweep")
    CardPayment.objects.filter(pk=payment.pk).update(succeeded_at=timezone.now() - timedelta(hours=1))
    return Drill((), _card_figures)


@drill("medspa.tasks.payout_record")
def _payout_record(request):
    import requests

    payment = _card_payment(request, "drill-payout")
    payout = requests.post(
        f"{settings.STRIPE_API_URL}/_test/payouts", data={"account": payment.account_id}, timeout=10
    ).json()
    return Drill((payment.account_id, payout["id"], payout["arrival_date"]), _card_figures)


@drill("medspa.tasks.pending_payments_resend")
def _pending_payments_resend(request):
    from devtools import stripe_local
    from medspa.models.payments import CardPayment
    from medspa.payments import client

    card = request.getfixturevalue("patient_card")
    reachable, settings.STRIPE_API_URL = settings.STRIPE_API_URL, f"http://127.0.0.1:{_free_port()}"
    with medspa_scope(card.medspa), pytest.raises(client.StripeUnavailable):
        _card_payment(request, "drill-pending")
    settings.STRIPE_API_URL = reachable
    CardPayment.objects.filter(idempotency_key="drill-pending").update(
        created_at=timezone.now() - timedelta(minutes=10)
    )

    def effect():
        made = [
            key for key, found in stripe_local.resources.store.items()
            if key.startswith("payment_intent:") and found.metadata.get("description") == "Visit"
            and found.customer == card.customer.customer_id
        ]  # fmt: skip
        return _card_figures(), len(made)

    return Drill((), effect)


@drill("medspa.tasks.database_backup")
def _database_backup(request):
    """The day's backup, to a folder, encrypted to a throwaway age key; pg_dump straight to PostgreSQL."""
    from django.core.files.storage import storages

    from tests.test_backup_encrypted import _database_url

    folder = request.getfixturevalue("tmp_path")
    identity = folder / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True, timeout=30)
    public = next(line.split(": ")[1] for line in identity.read_text().splitlines() if "public key" in line)
    overrides = request.getfixturevalue("settings")
    overrides.BACKUP_AGE_RECIPIENTS = [public]
    overrides.BACKUP_DATABASE_URL = _database_url(connection.settings_dict["NAME"])
    overrides.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": folder / "b"},
        },
    }
    return Drill((), lambda: sorted(storages["backups"].listdir("")[1]) if (folder / "b").exists() else [])


def _project_tasks() -> set[str]:
    """Every Celery task in the project's source (@shared_task, or @app.task), found by reading it rather
    than by asking Celery."""

    def is_task(decorator) -> bool:  # @shared_task, @shared_task(...), @app.task(...) (not locust's @task)
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name):
            return target.id == "shared_task"
        return isinstance(target, ast.Attribute) and ast.unparse(target) in {"app.task", "celery.shared_task"}

    found = set()
    tops = [
        top for top in ROOT.iterdir() if top.is_dir() and not top.name.startswith(".") and top.name != "tests"
    ]
    for path in sorted(
        path for top in tops for path in top.rglob("*.py") if "tests" not in path.relative_to(ROOT).parts
    ):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(is_task(d) for d in node.decorator_list):
                found.add(f"{module}.{node.name}")
    return found


def _task(name: str):
    """The task as a worker has it (a worker imports every app's tasks module at start)."""
    importlib.import_module(name.rpartition(".")[0])
    return app.tasks[name]


def test_every_task_of_the_project_has_a_drill():
    assert _project_tasks() == set(DRILLS)
    assert all(_task(name).name == name for name in DRILLS)  # Celery knows them by these names


@pytest.mark.scopes_disabled(reason="a drill snapshots what its task or sweep changed in every medspa")
@pytest.mark.parametrize("name", sorted(DRILLS))
@pytest.mark.usefixtures("db", "media_and_sms")
def test_a_task_delivered_twice_has_its_effect_once(name, request, django_capture_on_commit_callbacks):
    task = _task(name)
    setup = DRILLS[name](request)
    before = setup.effect()
    message_id = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        task.apply(setup.args, task_id=message_id, throw=True)
    once = setup.effect()
    assert once != before, "the drill must show the task's effect"
    with django_capture_on_commit_callbacks(execute=True):
        task.apply(setup.args, task_id=message_id, throw=True)  # the same message, delivered again
    assert setup.effect() == once


def _emailed_at_seen_by_another_connection(invitation_id: int):
    def read():
        try:
            with scopes_disabled():
                return Invitation.objects.get(pk=invitation_id).emailed_at
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(read).result()


def test_an_email_is_marked_sent_only_when_it_went(transactional_db, cast, monkeypatch):
    """A worker killed while the email goes (OOM, a deploy) leaves the row unmarked, so the redelivered
    message sends it; and a second delivery arriving meanwhile waits for the first, then sends nothing."""
    invitation = factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
    seen_while_sending, second_delivery = [], []

    def sending(**kwargs):
        # Whatever the others see now is what a crash at this point would leave behind.
        seen_while_sending.append(_emailed_at_seen_by_another_connection(invitation.pk))
        if not second_delivery:
            second_delivery.append(pool.submit(deliver))
            time.sleep(0.3)  # the second delivery reaches the row's lock meanwhile
        return mail.send_mail(**kwargs)

    def deliver():
        try:
            _task("medspa.tasks.invitation_email_send")(invitation.pk, cast.medspa_a.pk)
        finally:
            connection.close()

    monkeypatch.setattr("medspa.services.invitations.send_mail", sending)
    with ThreadPoolExecutor(2) as pool:
        pool.submit(deliver).result()
        second_delivery[0].result()
    assert seen_while_sending == [None]  # one send, and the row unmarked while it went
    assert [m.to for m in mail.outbox] == [[invitation.email]]
    assert _emailed_at_seen_by_another_connection(invitation.pk) is not None


@pytest.mark.usefixtures("db")
def test_asking_again_for_the_confirmation_link_sends_it_again(
    cast, request, django_capture_on_commit_callbacks
):
    medspa = request.getfixturevalue("legacy")["medspa"]
    with medspa_scope(medspa):
        transition = transition_tests.schedule(
            cast, medspa, transition_tests.effective(medspa, 0), keeps=False
        )
        transition_confirmations.openphone_account_set(
            transition=transition, by=cast.admin_a, email="me@own.example"
        )
        for _ in range(2):  # once per request: the claim is per emailing, not per transition
            with django_capture_on_commit_callbacks(execute=True):
                transition_confirmations.openphone_acknowledge(transition=transition, by=cast.admin_a)
        assert [m.to for m in mail.outbox] == [[cast.admin_a.email]] * 2
        assert all(email.sent_at for email in transition.confirmation_emails.all())
