"""The read replica (medspa.db_router): the heavy read-only pages read from it, nothing else does, writes
always go to the primary, and a user who just wrote reads the primary for a while.

Here the replica is the test database through a second connection (tests/settings.py: Django's TEST
MIRROR), which sees only committed rows: these tests commit (transactional_db). Each page's queries are
told apart by connection. tests/test_replica_standby.py does the same against a real streaming standby."""

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from medspa import db_router
from medspa.models import Medspa, Patient
from medspa.tenancy import medspa_scope
from providers.models import Sale
from providers.services import checkout
from providers.services.settlement import Tender
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
    pytest.mark.usefixtures("media_and_sms", "replica"),
]
SALES_TABLE = '"providers_sale"'


@pytest.fixture
def replica(settings):
    """Reads from the replica on, as with DATABASE_REPLICA_URL set (tests/settings.py has them off)."""
    settings.DATABASE_REPLICA_READS = True


@contextmanager
def queries() -> Iterator[SimpleNamespace]:
    """The statements each connection ran in the block: .replica and .primary, lists of SQL."""
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        ran = SimpleNamespace(replica=[], primary=[])
        yield ran
    ran.replica = [query["sql"] for query in replica.captured_queries]
    ran.primary = [query["sql"] for query in primary.captured_queries]


def mentions(statements: list[str], table: str) -> bool:
    return any(table in statement for statement in statements)


@pytest.fixture
def world(cast, provider):
    return factories.charting_world(cast.medspa_a, provider)


def paid_sale(world, provider) -> Sale:
    """A paid retail sale of `provider` (a membership) to the charting world's patient: a $100 serum, cash."""
    product = factories.retail_product(provider.medspa, "Serum", "S1", "100", taxable=False)
    with medspa_scope(provider.medspa_id):
        cart = checkout.retail_sale_open(
            provider=provider, location=world.location, by=provider.user, patient=world.patient
        )
        checkout.retail_line_set(sale=cart, product=product, quantity=Decimal(1))
        cash = [Tender("cash", Decimal(100))]
        return checkout.retail_checkout(sale=cart, by=provider.user, tenders=cash)


@pytest.fixture
def sale(world, provider) -> Sale:
    """A paid sale of provider_a1, committed."""
    return paid_sale(world, provider)


OPTED_IN = [
    ("provider_a1", "providers:earnings", SALES_TABLE),
    ("admin_a", "providers:admin_earnings", SALES_TABLE),
    ("provider_a1", "providers:earnings_csv", SALES_TABLE),
    ("admin_a", "providers:admin_earnings_csv", SALES_TABLE),
    ("admin_a", "providers:admin_stripe_reconciliation", '"medspa_stripeaccount"'),
]


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


@pytest.mark.parametrize(("who", "name", "table"), OPTED_IN, ids=[name for _, name, _ in OPTED_IN])
def test_each_heavy_page_reads_from_the_replica_and_writes_only_the_primary(
    client_as, sale, who, name, table
):
    client = client_as(who)
    with queries() as ran:
        response = client.get(reverse(name))
        page = body(response)  # a streamed export is read while it is sent
    assert response.status_code == 200
    assert mentions(ran.replica, table), "the page's figures come from the replica"
    assert not mentions(ran.primary, table), "and not from the primary"
    assert not any(re.match(r"[\s(]*(INSERT|UPDATE|DELETE)\b", statement) for statement in ran.replica)
    if name.endswith("csv"):  # one snapshot, read through a server-side cursor inside its transaction
        assert ran.replica[-1] == "COMMIT" and any(sql.startswith("DECLARE") for sql in ran.replica)
    if "earnings" in name:
        assert sale.number in page
        # The patient access log (it names the patient) is written to the primary, never the replica.
        assert mentions(ran.primary, '"medspa_patientaccesslog"')


def test_the_pages_not_opted_in_never_touch_the_replica(client_as, cast, sale, world, provider):
    client = client_as("admin_a")
    with queries() as ran:
        for name in ("dashboard_home", "dashboard_patients", "providers:sales", "providers:todo"):
            assert client.get(reverse(name)).status_code == 200, name
        assert client.get(reverse("providers:admin_sale_detail", args=[sale.pk])).status_code == 200
    assert ran.primary and ran.replica == []


def test_signing_in_booking_and_checking_out_never_touch_the_replica(client, cast, world, provider):
    product = factories.retail_product(cast.medspa_a, "Gift box", "G1", "25", taxable=False)
    with medspa_scope(cast.medspa_a):
        cart = checkout.retail_sale_open(
            provider=provider, location=world.location, by=cast.provider_a1, patient=world.patient
        )
        checkout.retail_line_set(sale=cart, product=product, quantity=Decimal(2))
    api = APIClient()
    api.force_authenticate(user=cast.admin_a)  # an admin books; a provider may not
    start = tomorrow_at_ten(world.location.time_zone)
    booking = {"appointment_type": world.appointment_type.pk, "patient": world.patient.pk,
               "provider": provider.pk, "start": start.isoformat()}  # fmt: skip
    with queries() as ran:
        signed_in = client.post(
            "/accounts/login/", {"login": cast.provider_a1.email, "password": factories.TEST_PASSWORD}
        )
        booked = api.post("/api/v1/appointments/", booking, format="json")
        charge = {"action": "charge", "cash_amount": "50", "discount": "", "discount_reason": "", "tip": "",
                  "receipt_email": ""}  # fmt: skip
        paid = client_as_provider(cast).post(reverse("providers:sale_detail", args=[cart.pk]), charge)
    assert signed_in.status_code == 302
    assert booked.status_code == 201, booked.content
    assert paid.status_code == 302
    with medspa_scope(cast.medspa_a):
        assert Sale.objects.get(pk=cart.pk).status == "paid"
    assert ran.primary and ran.replica == []


def tomorrow_at_ten(time_zone: str) -> datetime:
    zone = ZoneInfo(time_zone)
    return datetime.combine(timezone.now().astimezone(zone).date() + timedelta(days=1), time(10), tzinfo=zone)


def client_as_provider(cast) -> Client:
    client = Client()
    client.force_login(cast.provider_a1)
    return client


def test_after_a_write_the_user_reads_the_primary_until_the_window_closes(settings, cast, world, provider):
    settings.REPLICA_STICKY_SECONDS = 5
    product = factories.retail_product(cast.medspa_a, "Serum", "S1", "80", taxable=False)
    with medspa_scope(cast.medspa_a):
        cart = checkout.retail_sale_open(
            provider=provider, location=world.location, by=cast.provider_a1, patient=world.patient
        )
        checkout.retail_line_set(sale=cart, product=product, quantity=Decimal(1))
    client = client_as_provider(cast)
    charge = {"action": "charge", "cash_amount": "80", "discount": "", "discount_reason": "", "tip": "",
              "receipt_email": ""}  # fmt: skip
    assert client.post(reverse("providers:sale_detail", args=[cart.pk]), charge).status_code == 302
    with queries() as ran:
        page = client.get(reverse("providers:earnings")).content.decode()
    assert cart.number in page
    assert mentions(ran.primary, SALES_TABLE) and ran.replica == []
    with time_machine.travel(timedelta(seconds=6), tick=True), queries() as ran:
        assert cart.number in client.get(reverse("providers:earnings")).content.decode()
    assert mentions(ran.replica, SALES_TABLE) and not mentions(ran.primary, SALES_TABLE)


def test_an_api_write_makes_no_session_to_be_sticky_in(cast):
    api = APIClient()
    api.force_authenticate(user=cast.admin_a)
    response = api.post("/api/v1/appointments/", {}, format="json")
    assert response.status_code == 400
    assert "sessionid" not in response.cookies


def test_a_write_inside_replica_reads_goes_to_the_primary(cast):
    with scopes_disabled(), db_router.replica_reads() as alias, queries() as ran:
        assert alias == "replica"
        medspa = Medspa.objects.get(pk=cast.medspa_a.pk)
        assert medspa._state.db == "replica"
        medspa.name = "Glow A, renamed"
        medspa.save()
        Patient.objects.filter(medspa=medspa).update(medical_history="")
        with transaction.atomic():  # a service's transaction reads what it writes: on the primary
            assert Medspa.objects.filter(name="Glow A, renamed").exists()
            assert Medspa.objects.select_for_update().get(pk=medspa.pk)
    assert len(ran.replica) == 1 and '"medspa_medspa"' in ran.replica[0]
    assert any(re.match(r"(SELECT set_config.*; )?UPDATE", sql, re.S) for sql in ran.primary)
    assert sum(bool(re.match(r'SELECT .* FROM "medspa_medspa"', sql)) for sql in ran.primary) == 2


def test_outside_replica_reads_or_with_reads_switched_off_everything_reads_the_primary(settings, cast):
    with scopes_disabled(), queries() as ran:
        assert Medspa.objects.get(pk=cast.medspa_a.pk)._state.db == "default"
        settings.DATABASE_REPLICA_READS = False
        with db_router.replica_reads() as alias:
            assert alias == "default"
            assert Medspa.objects.get(pk=cast.medspa_a.pk)._state.db == "default"
    assert ran.replica == [] and len(ran.primary) == 2


def test_a_replica_out_of_reach_leaves_the_page_on_the_primary(client_as, sale):
    replica = connections["replica"]
    saved = {key: replica.settings_dict[key] for key in ("HOST", "PORT")}
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens there once the socket is closed
    replica.close()
    replica.settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    try:
        client = client_as("provider_a1")
        with CaptureQueriesContext(connections["default"]) as primary:
            page = client.get(reverse("providers:earnings"))
    finally:
        replica.close()
        replica.settings_dict.update(saved)
    assert page.status_code == 200 and sale.number in page.content.decode()
    assert mentions([query["sql"] for query in primary.captured_queries], SALES_TABLE)


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "providers")
    assert not router.allow_migrate("replica", "providers")
    assert not router.allow_migrate_model("replica", Sale)
    assert router.db_for_write(Sale) == "default"


def test_objects_of_the_primary_and_the_replica_may_be_related(cast):
    with scopes_disabled():
        primary = Medspa.objects.get(pk=cast.medspa_a.pk)
        replica = Medspa.objects.using("replica").get(pk=cast.medspa_b.pk)
    assert router.allow_relation(primary, replica)
