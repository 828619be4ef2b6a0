"""The billing pages: Account settings → Billing of the Medspa Admin dashboard (the medspa's bills, this
month's estimate, how the fees work, each bill and its PDF), Portrait's bill list across medspas with the
button that runs the monthly job, the read-only Django admin, and the demo's bills."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Bill, BillLine, PlanPeriod
from billing.services import bills as billing_bills
from billing.services import plans as billing_plans
from medspa.money import money_format
from medspa.tenancy import medspa_scope
from providers.selectors import earnings
from tests import factories
from tests.pdfs import pdf_text


def today_of(medspa):
    return timezone.localdate(timezone=medspa.tz)


def month_back(medspa, months: int):
    return earnings.month_start(today_of(medspa), months)


@factories.unscoped
def plan_since(medspa, starts_on):
    """The medspa on its current plan since `starts_on` (its only period, moved back)."""
    billing_plans.plan_periods(medspa)  # raises if the medspa had none: the update below would do nothing
    PlanPeriod.objects.filter(medspa=medspa).update(starts_on=starts_on)


def bill_beyond_latin1(medspa) -> Bill:
    """Last month's bill of `medspa`, renamed and addressed in letters and punctuation outside Latin-1 and
    keeping its coordinator (a line to print), on its plan since the 4th of that month: the line says
    "Mon d–Mon d, Y" (an en dash)."""
    medspa.name, medspa.dba = "Glöw 美 – “Spa”", "Glöw’s 美容 — Studio"
    medspa.shipping_line1, medspa.shipping_city = "1 Łódź Street", "São Paulo"
    medspa.keeps_coordinator = True
    medspa.save()
    last_month = month_back(medspa, 1)
    with medspa_scope(medspa):
        plan_since(medspa, last_month + timedelta(days=3))
        bill, _ = billing_bills.bill_generate(medspa=medspa, month=last_month)
    return bill


@factories.unscoped
def with_coordinator(medspa):
    """The medspa keeps its coordinator: its bills carry $1,000 a month (Launch alone has nothing to bill)."""
    medspa.keeps_coordinator = True
    medspa.save()
    return medspa


@factories.unscoped
def bills_of(medspa, months: int) -> list[Bill]:
    """The bills of the last `months` full months, oldest first."""
    plan_since(medspa, month_back(medspa, months + 1))
    return [
        billing_bills.bill_generate(medspa=medspa, month=month_back(medspa, back))[0]
        for back in range(months, 0, -1)
    ]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- The medspa admin's pages ----------------------------------------------------------------------------


def test_the_billing_page_lists_the_bills_newest_first_with_the_estimate_and_the_fees(cast, client_as):
    old, last = bills_of(with_coordinator(cast.medspa_a), 2)
    bills_of(cast.medspa_b, 1)  # another medspa's bill never shows
    response = client_as("admin_a").get(reverse("billing:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(last.number) < page.index(old.number)
    assert f"{last.month:%B %Y}" in page and "$1,000.00" in page
    assert reverse("billing:detail", args=[last.pk]) in page and reverse("billing:pdf", args=[old.pk]) in page
    with medspa_scope(cast.medspa_b):
        assert Bill.objects.filter(medspa=cast.medspa_b).get().number not in page
    # This month so far: an estimate, labelled as such, never a bill.
    this_month = month_back(cast.medspa_a, 0)
    assert f"{this_month:%B %Y} so far: an estimate, not a bill" in page
    assert f"Patient Care Coordinator, {this_month:%B %Y}" in page
    with medspa_scope(cast.medspa_a):
        assert not Bill.objects.filter(medspa=cast.medspa_a, month=this_month).exists()
    # How the fees work: the fees that exist, Flex's share, the rule for partial months (quoted).
    assert "$1,000.00 a month, prorated by day" in page
    assert "the urgent fee ($75.00 today) of each urgent Good Faith Exam request" in page
    assert "Flex revenue share</strong>: on Flex, Portrait's share of the sales" in page
    assert "There is no monthly platform fee: Launch pays Portrait through its inventory prices" in page
    assert "pays the full $1,000 for November if it keeps the coordinator" in page
    assert "go from November 16 (its first day without), pays 15/30 of it: $500.00" in page


def test_the_billing_page_no_longer_shows_a_launch_platform_fee(cast, client_as):
    """The source article never mentions one: Launch pays Portrait through its inventory prices."""
    bills_of(cast.medspa_a, 1)
    page = client_as("admin_a").get(reverse("billing:list")).content.decode()
    assert "$199" not in page and "Launch platform fee" not in page and "Platform fee" not in page
    assert "Legacy $0.00" not in page


def test_a_month_with_nothing_to_bill_gets_a_zero_bill_that_says_so(cast, client_as):
    """A Launch medspa without a coordinator and without an urgent GFE request: the month is still billed,
    for $0.00, so it is on record (and the monthly job does not come back to it), and every view says why."""
    with medspa_scope(cast.medspa_a):
        (bill,) = bills_of(cast.medspa_a, 1)
        assert (bill.total, bill.lines.count()) == (Decimal("0.00"), 0)
        assert bill.month not in billing_bills.months_to_bill(cast.medspa_a)
        client = client_as("admin_a")
        listing = client.get(reverse("billing:list")).content.decode()
        assert '$0.00 <span class="muted">(nothing to bill)</span>' in listing
        assert f"Nothing to bill for {month_back(cast.medspa_a, 0):%B %Y} so far" in listing  # the estimate
        detail = client.get(reverse("billing:detail", args=[bill.pk])).content.decode()
        assert f"Nothing to bill for {bill.month:%B %Y}: the total is $0.00." in detail
        assert "Launch pays Portrait through its inventory prices, with no monthly fee." in detail
        staff = client_as("staff").get(reverse("billing_staff:detail", args=[bill.pk])).content.decode()
        assert f"Nothing to bill for {bill.month:%B %Y}: the total is $0.00." in staff
        for name, url in [("admin_a", "billing:pdf"), ("staff", "billing_staff:pdf")]:
            text = " ".join(pdf_text(client_as(name).get(reverse(url, args=[bill.pk])).content).split())
            assert "Nothing to bill this month" in text and "Total: $0.00" in text
            assert "Launch pays Portrait through its inventory prices, with no monthly fee." in text


def test_no_bill_yet_explains_when_bills_are_made_and_still_shows_the_estimate(cast, client_as):
    page = client_as("admin_a").get(reverse("billing:list")).content.decode()
    assert "No bill yet." in page and "on the 1st of every month for the month before" in page
    assert "an estimate, not a bill" in page


def test_the_estimate_of_a_legacy_medspa_with_its_coordinator(cast, client_as):
    medspa = cast.medspa_a
    medspa.business_model, medspa.keeps_coordinator = "legacy", True
    medspa.save()
    plan_since(medspa, month_back(medspa, 1))
    page = client_as("admin_a").get(reverse("billing:list")).content.decode()
    assert "Patient Care Coordinator" in page and "Estimated total so far" in page
    assert "$1,000.00</strong>" in page


def test_the_bills_are_paginated_twelve_to_a_page(cast, client_as):
    bills = bills_of(cast.medspa_a, 13)
    client = client_as("admin_a")
    first = client.get(reverse("billing:list")).content.decode()
    second = client.get(reverse("billing:list"), {"page": 2}).content.decode()
    assert "Page 1 of 2" in first
    assert bills[-1].number in first and bills[0].number not in first
    assert bills[0].number in second and bills[-1].number not in second


def test_a_bill_shows_its_lines_and_total(cast, client_as):
    with medspa_scope(cast.medspa_a):
        medspa = with_coordinator(cast.medspa_a)
        last_month = month_back(medspa, 1)
        plan_since(medspa, last_month + timedelta(days=10))  # a partial month: prorated by days
        bill, _ = billing_bills.bill_generate(medspa=medspa, month=last_month)
        line = bill.lines.get()
        assert line.kind == "coordinator_fee" and Decimal("0") < line.amount < Decimal("1000.00")
        page = client_as("admin_a").get(reverse("billing:detail", args=[bill.pk])).content.decode()
        assert bill.number in page and f"{bill.month:%B %Y}" in page
        assert (
            line.description in page
            and money_format(line.amount) in page
            and money_format(bill.total) in page
        )
        assert reverse("billing:pdf", args=[bill.pk]) in page


def test_another_medspas_bill_is_not_found_and_providers_are_refused(cast, client_as):
    (bill,) = bills_of(cast.medspa_a, 1)
    for name in ("detail", "pdf"):
        url = reverse(f"billing:{name}", args=[bill.pk])
        assert client_as("admin_b").get(url).status_code == 404
        assert client_as("provider_a1").get(url).status_code == 403
        assert client_as("staff").get(url).status_code == 403  # staff use their own pages
    assert client_as("provider_a1").get(reverse("billing:list")).status_code == 403
    assert client_as("anonymous").get(reverse("billing:list")).status_code == 302


def test_the_pdf_of_a_bill(cast, client_as):
    medspa = cast.medspa_a
    medspa.dba, medspa.shipping_line1, medspa.shipping_city = "Glow Med Spa", "12 Main St", "Austin"
    medspa.shipping_state, medspa.shipping_postal_code = "TX", "78701"
    medspa.save()
    (bill,) = bills_of(medspa, 1)
    response = client_as("admin_a").get(reverse("billing:pdf", args=[bill.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="portrait-bill-{bill.number}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_the_pdf_of_a_medspa_with_characters_outside_latin1(cast, client_as):
    with medspa_scope(cast.medspa_a):
        bill = bill_beyond_latin1(cast.medspa_a)
        assert "–" in bill.lines.get().description
        response = client_as("admin_a").get(reverse("billing:pdf", args=[bill.pk]))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        staff = client_as("staff").get(reverse("billing_staff:pdf", args=[bill.pk]))
        assert staff.status_code == 200 and staff.content.startswith(b"%PDF")


def test_account_settings_shows_the_latest_bill(cast, client_as):
    client = client_as("admin_a")
    page = client.get(reverse("account_settings")).content.decode()
    assert 'id="billing"' in page and "No bill yet" in page and reverse("billing:list") in page
    old, last = bills_of(cast.medspa_a, 2)
    page = client.get(reverse("account_settings")).content.decode()
    assert f"{last.month:%B %Y}" in page and money_format(last.total) in page
    assert reverse("billing:detail", args=[last.pk]) in page and old.number not in page


# --- Portrait staff ----------------------------------------------------------------------------------------


def test_staff_see_every_bill_filter_by_month_and_medspa_with_page_totals(cast, client_as):
    a_old, a_last = bills_of(with_coordinator(cast.medspa_a), 2)
    (b_last,) = bills_of(cast.medspa_b, 1)  # Flex without a sale or a coordinator: nothing to bill
    client = client_as("staff")
    url = reverse("billing_staff:list")
    page = client.get(url).content.decode()
    assert all(bill.number in page for bill in (a_old, a_last, b_last))
    assert "3 bills, $2,000.00 in all" in page and "Total of this page (3 bills)" in page
    month = client.get(url, {"month": f"{a_last.month:%Y-%m}"}).content.decode()
    assert a_last.number in month and b_last.number in month and a_old.number not in month
    medspa = client.get(url, {"medspa": cast.medspa_b.pk}).content.decode()
    assert b_last.number in medspa and a_last.number not in medspa
    both = client.get(url, {"month": f"{a_old.month:%Y-%m}", "medspa": cast.medspa_b.pk})
    assert both.status_code == 200 and "No bill matches these filters" in both.content.decode()
    bad = client.get(url, {"month": "March"})
    assert bad.status_code == 400 and "Enter a month as YYYY-MM" in bad.content.decode()
    assert client.get(url, {"medspa": "999999"}).status_code == 400


def test_the_staff_list_is_paginated_by_25_and_its_queries_do_not_grow_with_the_bills(cast, client_as):
    bills_of(cast.medspa_a, 3)
    client = client_as("staff")
    url = reverse("billing_staff:list")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    bills_of(cast.medspa_b, 26)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert "Page 1 of 2" in page and "Total of this page (25 bills)" in page


@pytest.mark.scopes_disabled(reason="Portrait staff's billing run makes the bills of every medspa")
def test_staff_make_the_missing_bills_and_running_twice_makes_no_second_bill(cast, client_as):
    plan_since(cast.medspa_a, month_back(cast.medspa_a, 2))
    plan_since(cast.medspa_b, month_back(cast.medspa_b, 1))
    client = client_as("staff")
    response = client.post(reverse("billing_staff:run"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("billing_staff:list")
    assert "Billing was queued for 2 medspas" in response.content.decode()
    made = set(Bill.objects.values_list("medspa_id", "month"))
    assert made == {
        (cast.medspa_a.pk, month_back(cast.medspa_a, 2)),
        (cast.medspa_a.pk, month_back(cast.medspa_a, 1)),
        (cast.medspa_b.pk, month_back(cast.medspa_b, 1)),
    }
    client.post(reverse("billing_staff:run"))
    assert Bill.objects.count() == 3
    page = client.get(reverse("billing_staff:list")).content.decode()
    assert 'data-confirm="Make the missing bills' in page


def test_staff_open_any_bill_and_its_pdf_and_nobody_else_opens_the_staff_pages(cast, client_as):
    (bill,) = bills_of(cast.medspa_b, 1)
    client = client_as("staff")
    page = client.get(reverse("billing_staff:detail", args=[bill.pk])).content.decode()
    assert bill.number in page and "Luxe B" in page
    pdf = client.get(reverse("billing_staff:pdf", args=[bill.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == f'attachment; filename="portrait-bill-{bill.number}.pdf"'
    assert client.get(reverse("billing_staff:detail", args=[999999])).status_code == 404
    for name in ("admin_a", "provider_a1", "admin_b"):
        assert client_as(name).get(reverse("billing_staff:list")).status_code == 403
        assert client_as(name).get(reverse("billing_staff:detail", args=[bill.pk])).status_code == 403
        assert client_as(name).post(reverse("billing_staff:run")).status_code == 403
    assert client_as("anonymous").post(reverse("billing_staff:run")).status_code == 302
    assert not Bill.objects.exclude(pk=bill.pk).exists()
    assert reverse("billing_staff:list") in client.get(reverse("home")).content.decode()  # the staff menu


@pytest.mark.scopes_disabled(reason="Portrait staff's Django admin lists the bills of every medspa")
def test_django_admin_shows_bills_and_plans_read_only(cast, client_as):
    (bill,) = bills_of(with_coordinator(cast.medspa_a), 1)
    client = client_as("staff")
    changelist = client.get(reverse("admin:billing_bill_changelist"))
    assert changelist.status_code == 200 and bill.number in changelist.content.decode()
    change = client.get(reverse("admin:billing_bill_change", args=[bill.pk]))
    assert change.status_code == 200 and bill.lines.get().description in change.content.decode()
    assert client.get(reverse("admin:billing_bill_add")).status_code == 403
    assert client.get(reverse("admin:billing_planperiod_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_planperiod_add")).status_code == 403


# --- The demo ----------------------------------------------------------------------------------------------


@pytest.mark.slow  # seeds the whole demo twice
@pytest.mark.scopes_disabled(reason="the demo seeds and bills several medspas")
def test_the_demo_has_the_bills_of_the_last_two_months_and_seeding_twice_makes_no_more(db):
    call_command("seed_demo")
    first = sorted(Bill.objects.values_list("number", "total"))
    periods = sorted(PlanPeriod.objects.values_list("medspa_id", "starts_on"))
    call_command("seed_demo")
    assert sorted(Bill.objects.values_list("number", "total")) == first
    assert sorted(PlanPeriod.objects.values_list("medspa_id", "starts_on")) == periods
    demo = Bill.objects.filter(medspa__slug__in=["glow-aesthetics", "luxe-skin-bar"])
    assert demo.count() == 4  # two medspas, two months
    launch = Bill.objects.filter(medspa__slug="glow-aesthetics").select_related("medspa")
    medspa = launch[0].medspa
    assert {bill.month for bill in launch} == {month_back(medspa, 1), month_back(medspa, 2)}
    # The Launch demo keeps no coordinator and asked no urgent GFE: no monthly fee, nothing to bill.
    assert {bill.total for bill in launch} == {Decimal("0.00")}
    assert not BillLine.objects.filter(bill__in=launch).exists()
