"""The fixed cast every test can use: an admin (also a provider) and two providers of medspa A, an admin
and a provider of medspa B, Portrait staff, and anonymous."""

import os
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import psycopg
import pytest
import pytest_django.fixtures as pytest_django_fixtures
from django.core.cache import cache
from django.test import Client
from django_scopes import scopes_disabled

from billing.models import PlanPeriod
from medspa import clock
from medspa.messaging import sms
from medspa.tenancy import medspa_scope
from providers.services import charting
from tests import factories
from tests.browser import no_csp_violations_nor_server_errors
from tests.stub_server import (
    AC,
    ACUITY_KEY,
    ACUITY_USER,
    OP,
    OPENPHONE_KEY,
    TC,
    TIGERCONNECT_KEY,
    TIGERCONNECT_SECRET,
    StubServer,
)
from tests.twilio_server import ACCOUNT_SID as TWILIO_ACCOUNT_SID
from tests.twilio_server import AUTH_TOKEN as TWILIO_AUTH_TOKEN
from tests.twilio_server import TwilioServer
from transition.services import base as transition_base

# Playwright's sync API runs an event loop in the test thread; Django's async-safety guard would refuse
# the ORM calls that the tests (not the server) make around it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# --- --utc-ahead: the hours when UTC's date is a day ahead of the medspas' ---------------------------------


def pytest_addoption(parser):
    parser.addoption(
        "--utc-ahead",
        action="store_true",
        default=False,
        help="A check for the hours when UTC's date is a day ahead of the medspas' (00:00-05:00 UTC for New "
        "York, 00:00-08:00 for Los Angeles): the clock starts at 02:30 UTC today and ticks on, so a test "
        "that builds 'today' from the server's date instead of the medspa's fails. Off by default; browser "
        "tests and drills with their own processes do not follow the moved clock.",
    )


def pytest_collection_modifyitems(items):
    """A browser test is a slow one: `make test-fast` (-m "not slow") leaves both out."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


def pytest_sessionstart(session):
    if session.config.getoption("--utc-ahead"):
        import time_machine

        today = datetime.now(UTC).date()
        session.config._utc_ahead = time_machine.travel(datetime.combine(today, time(2, 30), UTC), tick=True)
        session.config._utc_ahead.start()


def pytest_sessionfinish(session):
    if travel := getattr(session.config, "_utc_ahead", None):
        travel.stop()


# --- The database roles (tests/settings.py): made and migrated as the owner, tested as the app role. -----


def role_conninfo(role: str, dbname: str) -> dict:
    """psycopg's connection arguments for `role` (settings.DATABASE_ROLES) on database `dbname`: the role's
    own HOST and PORT when it has them (tests/pgbouncer.py: the app role through PgBouncer, the others
    straight to PostgreSQL), else the connection's."""
    from django.conf import settings
    from django.db import connection

    credentials, db = settings.DATABASE_ROLES[role], connection.settings_dict
    info = {"dbname": dbname, "user": credentials["USER"], "password": credentials["PASSWORD"],
            "host": credentials.get("HOST", db["HOST"]),
            "port": credentials.get("PORT", db["PORT"])}  # fmt: skip
    return {key: value for key, value in info.items() if value}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, pgbouncer):
    """Before the test database is made: its two roles exist (the owner may create databases), any test
    database left behind belongs to the owner, and the connection is the owner's (to PostgreSQL itself:
    the app role's go through `pgbouncer` unless TEST_PGBOUNCER=0)."""
    from django.conf import settings
    from django.db import connection
    from psycopg import sql

    from medspa import database, embedded

    owner, app = (settings.DATABASE_ROLES[role] for role in ("owner", "app"))
    test_name = connection.creation._get_test_db_name()
    with psycopg.connect(**role_conninfo("superuser", "postgres")) as admin, admin.transaction():
        # pytest-xdist's workers share the roles: one at a time alters them ("tuple concurrently updated").
        admin.execute("SELECT pg_advisory_xact_lock(hashtext('medspa tests: database roles'))")
        embedded.roles_create(admin, owner=owner["USER"], app=app["USER"], createdb=True)
        for role in (owner, app):
            if role["PASSWORD"]:
                admin.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(role["USER"]), sql.Literal(role["PASSWORD"])
                    )
                )
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [test_name]).fetchone():
            admin.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(test_name), sql.Identifier(owner["USER"])
                )
            )
    database.role_switch("owner")


def _superuser_connect(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(**role_conninfo("superuser", dbname), autocommit=True)


def _template_name(test_name: str) -> str:
    """The migrated database that pytest-xdist's workers copy: one per run, named after the run's test
    database without the worker's suffix."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{test_name.removesuffix(f'_{worker}')}_template"[:63]


def _database_from_template(run: str, test_name: str, owner: str) -> psycopg.Connection | None:
    """Migrating costs a worker most of a minute (rendering the models' states, not SQL): the first worker
    of a run migrates its database and leaves a copy of it as the run's template; every other worker waits
    for it and copies it (CREATE DATABASE … TEMPLATE, a second or two). None when this worker's database
    was copied (Django then only checks that every migration is applied); when this worker is the one to
    migrate, the connection that holds the lock the others wait on, to be closed once the template exists."""

    template = _template_name(test_name)
    admin = _superuser_connect()
    admin.execute("SELECT pg_advisory_lock(hashtext('medspa tests: template'))")
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
    ).fetchone()
    if row is None or row[0] != run:
        return admin
    with admin:
        _database_copy(admin, template, test_name, owner)
    return None


def _database_drop(admin: psycopg.Connection, name: str) -> None:
    """Drops the database `name` if it exists, closing any session still open on it."""
    from psycopg import sql

    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _database_copy(admin: psycopg.Connection, source: str, target: str, owner: str) -> None:
    from psycopg import sql

    _database_drop(admin, target)
    admin.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
            sql.Identifier(target), sql.Identifier(source), sql.Identifier(owner)
        )
    )


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
    pgbouncer,
):
    """The test database is made and migrated (as the owner): every test runs as the app role.

    Under pytest-xdist the workers do not each migrate: the first migrates and leaves a template that the
    others copy (`_database_from_template`); the controller drops the template at the end of the run."""
    from django.conf import settings
    from django.db import OperationalError, connection, connections
    from django.test.utils import setup_databases, teardown_databases
    from psycopg import sql

    from medspa import database

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    keepdb = django_db_keepdb and not django_db_createdb
    aliases, serialized = pytest_django_fixtures._get_databases_for_setup(request.session.items)
    test_name = connection.creation._get_test_db_name()
    owner = settings.DATABASE_ROLES["owner"]["USER"]
    lock = None
    with django_db_blocker.unblock():
        if run and not keepdb and django_db_use_migrations:
            lock = _database_from_template(run, test_name, owner)
            keepdb = lock is None
        try:
            config = setup_databases(
                verbosity=request.config.option.verbose, interactive=False, aliases=aliases,
                serialized_aliases=serialized, keepdb=keepdb,
            )  # fmt: skip
            if lock is not None:
                template = sql.Identifier(_template_name(test_name))
                connections.close_all()
                _database_copy(lock, test_name, _template_name(test_name), owner)
                lock.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(template, sql.Literal(run)))
        finally:
            if lock is not None:
                lock.close()  # releases the advisory lock
        database.role_switch("app")
        if "replica" in connections:  # the test database's mirror (tests/settings.py): the app role reads it
            database.role_switch("app", "replica")
    yield
    with django_db_blocker.unblock():
        if "replica" in connections:
            connections["replica"].close()
        database.role_switch("owner")  # the owner drops its test database
        if pgbouncer is not None:
            pgbouncer.stop()  # and its server connections to it
        if not django_db_keepdb:
            try:
                teardown_databases(config, verbosity=request.config.option.verbose)
            except OperationalError:  # a session is still open (a live server's thread): dropped by force
                with _superuser_connect() as admin:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(test_name))
                    )


def pytest_unconfigure(config):
    """pytest-xdist's controller, after every worker has finished: the run's template goes."""
    if not config.pluginmanager.has_plugin("dsession") or hasattr(config, "workerinput"):
        return
    from django.db import connection

    template = _template_name(connection.creation._get_test_db_name())
    try:
        with _superuser_connect() as admin:
            _database_drop(admin, template)
    except psycopg.OperationalError as error:  # the server is gone already: nothing is left on it
        warnings.warn(f"the test template {template} was not dropped: {error}", stacklevel=1)


@pytest.fixture
def as_owner(django_db_setup, django_db_blocker):
    """The test runs as the owner role (it may ALTER the tables), not the app role. Request it first, before
    any fixture that uses the database and without a django_db mark (which opens the test's transaction
    before every fixture), so that the test's transaction is the owner's."""
    from medspa import database

    with django_db_blocker.unblock():
        database.role_switch("owner")
    yield
    with django_db_blocker.unblock():
        database.role_switch("app")


@pytest.fixture
def connect_as():
    """connect_as("app" | "owner" | "superuser") → a psycopg connection of that role to the test database
    (the app role's through PgBouncer, as the product's), closed after the test. See committed data only: use
    it with transactional_db."""
    from django.db import connection

    opened = []

    def connect(role: str) -> psycopg.Connection:
        opened.append(psycopg.connect(**role_conninfo(role, connection.settings_dict["NAME"])))
        return opened[-1]

    yield connect
    for conn in opened:
        conn.close()


@pytest.fixture(autouse=True)
def _tenant_scoping(request):
    """Tests run as production does: scoping on and no scope entered, so a query of a tenant-owned model
    outside a medspa's scope raises ScopeError. Set-up builds through tests/factories.py, which reaches
    across medspas by itself; a test body enters the scope it checks (`with medspa_scope(medspa):`). A test
    or module that genuinely spans medspas (Portrait staff pages, sweeps, migrations) says so by name:
    `@pytest.mark.scopes_disabled(reason="...")`."""
    marker = request.node.get_closest_marker("scopes_disabled")
    if marker is None:
        yield
        return
    if not marker.kwargs.get("reason"):
        raise pytest.UsageError(f"{request.node.nodeid}: scopes_disabled needs a reason=")
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate limits and used TOTP codes must not leak between tests
    yield
    cache.clear()


@dataclass
class Cast:
    medspa_a: object
    medspa_b: object
    admin_a: object
    provider_a1: object
    provider_a2: object
    admin_b: object
    provider_b: object
    staff: object

    def user(self, name: str):
        return None if name == "anonymous" else getattr(self, name)


CAST_NAMES = ["admin_a", "provider_a1", "provider_a2", "admin_b", "provider_b", "staff", "anonymous"]


def _member(medspa, *, admin=False, provider=True, credential="NP"):
    membership = factories.MembershipFactory(medspa=medspa, is_admin=admin, is_provider=provider)
    if provider:
        profile = factories.ProviderProfileFactory(
            membership=membership, credential=credential, can_clear_gfe=credential != "RN"
        )
        factories.ProviderLicenceFactory(profile=profile)
    return membership.user


@pytest.fixture
def cast(db) -> Cast:
    medspa_a = factories.MedspaFactory(name="Glow A", slug="glow-a")
    medspa_b = factories.MedspaFactory(
        name="Luxe B", slug="luxe-b", business_model="flex", flex_revenue_split_percent=20
    )
    return Cast(
        medspa_a=medspa_a,
        medspa_b=medspa_b,
        admin_a=_member(medspa_a, admin=True, credential="MD"),
        provider_a1=_member(medspa_a),
        provider_a2=_member(medspa_a, credential="RN"),
        admin_b=_member(medspa_b, admin=True, provider=False),
        provider_b=_member(medspa_b),
        staff=factories.UserFactory(is_staff=True, is_superuser=True),
    )


@pytest.fixture
def client_as(cast):
    """client_as("admin_a") → a Django test client signed in as that member of the cast."""

    def make(name: str) -> Client:
        client = Client()
        user = cast.user(name)
        if user is not None:
            client.force_login(user)
        return client

    return make


# --- Browser tests (pytest-playwright): Debian's Chromium, no downloaded browsers. -----------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",  # the tests run as root
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(autouse=True)
def _page_watched(request):
    """Every test that drives pytest-playwright's `page` fails on a script or style the Content Security
    Policy blocked, or on a 5xx answer (tests/browser.py's no_csp_violations_nor_server_errors); a test that
    drives no browser opens none."""
    if "page" not in request.fixturenames:
        yield
        return
    with no_csp_violations_nor_server_errors(request.getfixturevalue("page")):
        yield


@pytest.fixture
def live_cast(transactional_db, cast) -> Cast:
    """The cast, committed (no wrapping transaction), so the live server's own connection can read it."""
    return cast


# --- The Provider dashboard's tests: a provider of medspa A, a colleague, a visit ready to chart. ----------


@pytest.fixture
def media_and_sms(settings, tmp_path):
    """Uploads (photos, signatures) in a throwaway folder, and text messages kept in
    medspa.messaging.sms.outbox. Use it with `pytest.mark.usefixtures("media_and_sms")`."""
    settings.MEDIA_ROOT = tmp_path
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    sms.outbox.clear()


@pytest.fixture
def provider(cast):
    """provider_a1's membership of medspa A."""
    with scopes_disabled():
        return cast.provider_a1.memberships.get()


@pytest.fixture
def colleague(cast):
    """provider_a2's membership of medspa A."""
    with scopes_disabled():
        return cast.provider_a2.memberships.get()


@pytest.fixture
def world(cast, provider):
    """factories.charting_world of medspa A for `provider`: location, appointment type, a service with a
    consent and a care message, a patient cleared for it. A test module may refine it by overriding
    `world` with a fixture that takes this one."""
    return factories.charting_world(cast.medspa_a, provider)


@pytest.fixture
def appointment(world, provider):
    """A checked-in appointment of the world's patient with `provider`."""
    return factories.checked_in_appointment(world, provider)


@pytest.fixture
def visit(cast, appointment):
    """The visit provider_a1 started from `appointment` (in medspa A's scope, as its page starts it)."""
    with medspa_scope(cast.medspa_a):
        return charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)


# --- The Legacy tools (OpenPhone, TigerConnect, Acuity), played by the loopback stub server. ---------------


@pytest.fixture
def stub():
    """tests/stub_server.py running on a free port, for the test. The test fails if a client called an
    operation its vendor does not document (transition/tests/vendor_docs)."""
    server = StubServer().start()
    yield server
    server.stop()
    assert not server.undocumented(), f"undocumented vendor calls: {server.undocumented()}"


@pytest.fixture
def configured(settings, stub):
    """The three vendors' settings pointing at the stub, with short timeouts and two attempts. A module
    may refine it by overriding `configured` with a fixture that takes this one."""
    settings.OPENPHONE_API_URL, settings.OPENPHONE_API_KEY = stub.url + OP, OPENPHONE_KEY
    settings.TIGERCONNECT_API_URL = stub.url + TC
    settings.TIGERCONNECT_API_KEY, settings.TIGERCONNECT_API_SECRET = TIGERCONNECT_KEY, TIGERCONNECT_SECRET
    settings.TIGERCONNECT_ORGANIZATION_KEY = "ORG1"
    settings.ACUITY_API_URL, settings.ACUITY_USER_ID, settings.ACUITY_API_KEY = (
        stub.url + AC,
        ACUITY_USER,
        ACUITY_KEY,
    )
    settings.INTEGRATION_TIMEOUT_SECONDS = 0.5
    settings.INTEGRATION_MAX_ATTEMPTS = 2
    settings.INTEGRATION_BACKOFF_SECONDS = 0.01
    return stub


@pytest.fixture
@factories.unscoped
def legacy(cast, configured):
    """medspa_a on Legacy with its coordinator, its Legacy tools recorded, and the vendors knowing them."""
    medspa = cast.medspa_a
    medspa.business_model, medspa.keeps_coordinator = "legacy", True
    medspa.time_zone = "America/Los_Angeles"  # the clinic's, so that wall-clock times agree
    medspa.save()
    # On Legacy for a year already: bills of the effective month do not depend on today's date.
    PlanPeriod.objects.filter(medspa=medspa).update(starts_on=clock.today(medspa) - timedelta(days=365))
    tools = transition_base.legacy_tools(medspa)
    tools.openphone_number_id, tools.openphone_number = "PN1", "(555) 555-0100"
    tools.tigerconnect_group_id, tools.tigerconnect_user_ids = "G1", ["U1", "U2"]
    tools.acuity_calendar_ids = [11]
    tools.save()
    stub = configured
    stub.state.phone_numbers["PN1"] = {
        "id": "PN1",
        "number": "+15555550100",
        "formattedNumber": "(555) 555-0100",
    }
    stub.state.tc_groups["G1"] = "active"
    provider = cast.provider_a1.memberships.get()
    stub.state.calendars.append(
        {
            "id": 11,
            "name": provider.user.full_name,
            "email": provider.user.email.upper(),
            "timezone": "America/Los_Angeles",
        }
    )
    _, appointment_type = factories.scheduling_world(medspa, [provider])
    coordinator = factories.MembershipFactory(medspa=medspa, is_provider=False, is_coordinator=True)
    return {"medspa": medspa, "provider": provider, "type": appointment_type, "coordinator": coordinator}


@pytest.fixture
def redis_process(tmp_path):
    """A RedisProcess, started; killed at the end of the test."""
    from tests.test_faults import RedisProcess

    redis = RedisProcess(tmp_path)
    redis.start()
    yield redis
    redis.kill()


# --- Twilio, played by the loopback server (tests/twilio_server.py). -----------------------------------


@pytest.fixture
def twilio(settings, monkeypatch):
    """tests/twilio_server.py on a free port, with the product's Twilio settings pointing at it."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = TwilioServer().start()
    settings.SMS_BACKEND = "medspa.messaging.sms.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
    settings.TWILIO_API_URL = server.url
    yield server
    server.stop()


# --- Stripe, played by the local Stripe-compatible server (devtools/stripe_local.py). ---------------------

STRIPE_WEBHOOK_SECRET = "whsec_test_platform"
STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_test_connect"


@pytest.fixture(scope="session")
def _stripe_server():
    from devtools.stripe_local import LocalStripe

    return LocalStripe().start()


@pytest.fixture
def stripe_local(settings, monkeypatch, _stripe_server):
    """The product's Stripe settings pointing at the local server (one per test process, its objects kept
    across tests; each test makes its own). When the test ends, every request it made to Stripe is checked
    against Stripe's published specification (tests/stripe_contract.py): a call the specification lacks
    fails the test that made it."""
    from devtools import stripe_local as local
    from tests.stripe_contract import violations

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_local", "pk_test_local"
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = STRIPE_CONNECT_WEBHOOK_SECRET
    settings.STRIPE_API_URL = _stripe_server.url
    settings.STRIPE_JS_URL = f"{_stripe_server.url}/js.stripe.com/v3/"
    first = len(local.recorded)
    _stripe_server.webhooks()
    yield _stripe_server
    _stripe_server.webhooks()
    made = local.recorded[first:]
    assert not violations(made), "Requests outside Stripe's specification:\n" + "\n".join(violations(made))


def at_once(count: int, action) -> list:
    """`action(0)` … `action(count - 1)` in `count` threads released together (a barrier), each on its own
    database connection (closed after) with tenant scoping off: each one's result, or the exception it
    raised, in the order they ended. For races that must come out right."""
    import threading

    from django.db import connection

    barrier, results = threading.Barrier(count), []

    def run(index: int) -> None:
        try:
            barrier.wait()
            with scopes_disabled():
                results.append(action(index))
        except Exception as error:  # the race's loser: the test reads it
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed again): Stripe out of reach."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stripe_js_confirm(server, setup, payment_method: str = "pm_card_visa") -> dict:
    """What Stripe.js does in the browser when the patient confirms a card: POST the SetupIntent's confirm
    with the publishable key and the client secret (the card itself goes from the browser to Stripe only).
    `payment_method` names one of Stripe's test cards (https://docs.stripe.com/testing): pm_card_visa, or
    pm_card_chargeCustomerFail (saves, then declines when charged)."""
    import requests

    answer = requests.post(
        f"{server.url}/v1/setup_intents/{setup.setup_intent_id}/confirm",
        data={"key": "pk_test_local", "client_secret": setup.client_secret, "payment_method": payment_method},
        headers={"Stripe-Account": setup.account_id} if setup.account_id else {},
        timeout=10,
    )
    return answer.json()


def stripe_js_confirm_on(server, html: str, payment_method: str = "pm_card_visa") -> str:
    """Stripe.js confirming the card typed into the card field of a page (its SetupIntent's client secret
    and account, read from the field's attributes): the SetupIntent's id, once Stripe says it succeeded."""
    import re
    from types import SimpleNamespace

    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    setup = SimpleNamespace(
        setup_intent_id=secret.split("_secret_")[0],
        client_secret=secret,
        account_id=re.search(r'data-account="([^"]*)"', html).group(1),
    )
    answer = stripe_js_confirm(server, setup, payment_method)
    assert answer.get("status") == "succeeded", answer
    return setup.setup_intent_id


@pytest.fixture
def stripe_connected(stripe_local, cast):
    """Medspa A with its Stripe account connected and onboarded (charges enabled), through the product's
    own Connect calls and the local server's stand-in for Stripe's hosted onboarding page."""
    import requests

    from medspa.payments import connect
    from medspa.tenancy import medspa_scope

    medspa = cast.medspa_a
    with medspa_scope(medspa):
        url = connect.account_connect(
            medspa=medspa,
            by=cast.admin_a,
            account_type="standard",
            return_url="http://127.0.0.1/return",
            refresh_url="http://127.0.0.1/refresh",
        )
        requests.post(url, allow_redirects=False, timeout=10)
        account = connect.account_refresh(medspa=medspa)
    assert account.charges_enabled
    return account


@pytest.fixture
def patient_card(stripe_local, stripe_connected, cast):
    """A patient of medspa A with a Visa on file (saved as the booking page saves it)."""
    from medspa.models.payments import SavedCard
    from medspa.payments import cards
    from medspa.tenancy import medspa_scope

    medspa = cast.medspa_a
    patient = factories.PatientFactory(medspa=medspa)
    with medspa_scope(medspa):
        customer = cards.customer_for(medspa=medspa, patient=patient)
        setup = cards.card_setup_start(customer=customer)
        stripe_js_confirm(stripe_local, setup)
        return cards.card_save(
            customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.ONLINE
        )
