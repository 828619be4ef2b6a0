import ast
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from devtools.demo import core as demo
from medspa.models import Medspa, Membership, Patient, User
from providers.models import Payment, Refund, Sale, Visit
from providers.selectors import todo
from scheduling.models import Appointment, AppointmentType, Location
from tests.factories import has_totp

pytestmark = pytest.mark.slow  # seeds the whole demo


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo's consent signatures are files


def counts():
    return (
        Medspa.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Patient.objects.count(),
        Location.objects.count(),
        Visit.objects.count(),
        Sale.objects.count(),
        Payment.objects.count(),
        Refund.objects.count(),
        Appointment.objects.filter(status="checked_in").count(),
    )


@pytest.mark.scopes_disabled(reason="the demo seed builds and checks every demo medspa")
def test_the_demo_world_is_what_the_readme_promises_and_loads_twice_the_same(db):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    launch = Medspa.objects.get(slug="glow-aesthetics")
    assert launch.business_model == "launch"
    assert Medspa.objects.get(slug="luxe-skin-bar").business_model == "flex"
    assert launch.patients.count() == 30
    assert launch.locations.count() == 2
    owner = Membership.objects.get(medspa=launch, user__email=demo.LAUNCH_PEOPLE[0].email)
    assert owner.is_admin and owner.is_provider
    assert Membership.objects.filter(medspa=launch, is_provider=True, is_admin=False).count() == 2
    staff = User.objects.get(email=demo.STAFF.email)
    assert staff.is_staff
    assert all(has_totp(user) for user in User.objects.all())
    assert all(user.check_password(demo.DEMO_PASSWORD) for user in User.objects.all())


@pytest.mark.scopes_disabled(reason="the demo seed builds and checks every demo medspa")
def test_the_demo_appointment_types_name_portraits_intake_forms(db):
    call_command("seed_demo")
    types = AppointmentType.objects.filter(medspa__slug="glow-aesthetics").prefetch_related("intake_forms")
    named = {t.name: sorted(form.title for form in t.intake_forms.all()) for t in types}
    assert named["Neurotoxin: glabellar lines"] == ["Aesthetic intake", "Medical history"]
    assert named["Dermal filler: lips"] == ["Aesthetic intake", "Medical history"]
    assert all(form.is_library for t in types for form in t.intake_forms.all())


@pytest.mark.scopes_disabled(reason="the demo seed builds and checks every demo medspa")
def test_the_demo_has_months_of_charted_paid_visits_retail_a_refund_and_a_chart_to_sign(db):
    call_command("seed_demo")
    launch = Medspa.objects.get(slug="glow-aesthetics")
    flex = Medspa.objects.get(slug="luxe-skin-bar")
    for medspa in (launch, flex):
        visits = Visit.objects.filter(medspa=medspa)
        assert visits.count() >= 4 and not visits.filter(status="open").exists()
        sales = Sale.objects.filter(medspa=medspa)
        assert sales.filter(kind="visit", status="paid").count() == visits.count()
        assert sales.filter(kind="retail", status="paid").count() == 2
        paid = sales.aggregate(total=Sum("total"))["total"]
        assert Payment.objects.filter(sale__medspa=medspa).aggregate(total=Sum("amount"))["total"] == paid
        months = {sale.paid_at.astimezone(medspa.tz).strftime("%Y-%m") for sale in sales}
        assert len(months) >= 3  # over the past months, not all today
        assert all(sale.paid_at < timezone.now() - timedelta(days=3) for sale in sales)
        assert Location.objects.filter(medspa=medspa, sales_tax_percent=0).count() == 0
        assert sales.filter(kind="retail", tax__gt=0).count() == 2
    # Flex shows the split; Launch does not.
    assert all(sale.portrait_percent == Decimal("20.00") for sale in Sale.objects.filter(medspa=flex))
    assert (
        Sale.objects.filter(medspa=flex, portrait_share__gt=0).count()
        == Sale.objects.filter(medspa=flex).count()
    )
    assert not Sale.objects.filter(medspa=launch, portrait_share__gt=0).exists()
    assert (
        Payment.objects.filter(sale__medspa=flex).values("sale").distinct().count()
        < Payment.objects.filter(sale__medspa=flex).count()
    )  # some sales are paid by two methods
    [refund] = Refund.objects.all()
    assert refund.amount < refund.payment.amount  # a partial refund
    # One chart is left to sign, and it is overdue on its provider's To-Do.
    [unsigned] = Visit.objects.filter(chart_signed_at__isnull=True)
    assert unsigned.medspa == launch
    charts = next(s for s in todo.todo_of(unsigned.provider, launch).sections if s.key == "charts")
    assert [item.flag for item in charts.items] == ["Overdue"]
    # One of today's appointments is checked in, when there is one today.
    today = [
        a for a in Appointment.objects.filter(medspa=launch).select_related("location")
        if a.start.astimezone(a.location.tz).date() == timezone.now().astimezone(a.location.tz).date()
    ]  # fmt: skip
    assert sum(a.status == "checked_in" for a in today) == (1 if today else 0)


@pytest.mark.scopes_disabled(reason="the demo seed builds and checks every demo medspa")
def test_the_demo_has_a_catalog_and_orders_along_their_review_and_emails_nobody(db):
    from inventory_orders.models import CatalogProduct, Order, OrderEvent

    call_command("seed_demo")
    with scopes_disabled():
        assert CatalogProduct.objects.count() == 17
        statuses = sorted(
            Order.objects.filter(medspa__slug="glow-aesthetics").values_list("status", flat=True)
        )
        assert statuses == ["changed", "delivered", "submitted"]
        assert not OrderEvent.objects.filter(emailed_at__isnull=True).exists()


def test_the_demo_code_command_prints_a_code_the_demo_secret_accepts(db, capsys):
    from allauth.mfa.totp.internal.auth import validate_totp_code

    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and validate_totp_code(demo.DEMO_TOTP_SECRET, code)


def test_no_app_imports_the_demo_or_the_benchmarks():
    """devtools sits above every app: it may import them all, and none of them imports it."""
    root = Path(__file__).resolve().parents[2]
    apps = ["medspa", "services_catalog", "gfe", "scheduling", "providers", "inventory_orders", "billing",
            "transition"]  # fmt: skip
    found = []
    for app in apps:
        for path in (p for p in (root / app).rglob("*.py") if "tests" not in p.relative_to(root).parts):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                hits = [name for name in names if name.split(".")[0] == "devtools"]
                found += [f"{path.relative_to(root)}: {name}" for name in hits]
    assert found == []
    assert "devtools" in settings.INSTALLED_APPS
