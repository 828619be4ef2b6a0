"""Earnings: figures that reconcile to the cent with the payments and refunds recorded, the Flex split, who
sees what, periods in the medspa's time zone, the chart, the transaction list, its CSV, and a constant
number of queries."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape

from medspa.models import PatientAccessLog
from medspa.models.tenancy import BusinessModel
from medspa.tenancy import medspa_scope
from providers.models import Payment, Refund, Sale, SaleKind, SaleLine, SaleStatus
from providers.selectors import earnings, earnings_csv
from providers.selectors.earnings import Period, Scope
from providers.selectors.svg_chart import Bar, Series, bar_chart, nice_step, short_dollars
from providers.services import checkout
from providers.services.settlement import Tender
from scheduling.models import Location
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media_and_sms"),
]
LA = ZoneInfo("America/Los_Angeles")
D = Decimal


@pytest.fixture
def medspa(cast):
    cast.medspa_a.time_zone = "America/Los_Angeles"
    cast.medspa_a.save()
    return cast.medspa_a


@pytest.fixture
def world(medspa, provider):
    return factories.charting_world(medspa, provider)


def this_year() -> Period:
    today = timezone.localdate(timezone=LA)
    return Period(today - timedelta(days=300), today, LA)


# --- Sales made through the real services -------------------------------------------------------------------


def visit_sale(cast, world, provider, *, hours_ago=0, tenders, **charges):
    """A visit checked out by the real services: appointment, visit, consent, checkout."""
    start = (timezone.now() - timedelta(minutes=5, hours=hours_ago)).replace(second=0, microsecond=0)
    return factories.paid_visit(world, provider, provider.user, start=start, tenders=tenders, **charges)


def retail_sale(world, provider, product, quantity, *, tenders, **charges):
    with medspa_scope(provider.medspa_id):
        sale = checkout.retail_sale_open(
            provider=provider, location=world.location, by=provider.user, patient=world.patient
        )
        checkout.retail_line_set(sale=sale, product=product, quantity=D(quantity))
        return checkout.retail_checkout(sale=sale, tenders=tenders, by=provider.user, **charges)


@pytest.fixture
def serum(medspa, world):
    world.location.sales_tax_percent = D("8.875")
    world.location.save()
    return factories.retail_product(medspa, "Serum", "S1", "89.99", taxable=True)


@pytest.fixture
def real_sales(cast, world, provider, serum):
    """Two visits (a discount, a tip, split payments with financing), a retail sale with tax, refunds of
    each kind; and an open cart and a voided one, which never count."""
    with medspa_scope(cast.medspa_a):
        first = visit_sale(
            cast, world, provider, hours_ago=2, tip=D("40"), discount=D("30"), discount_reason="Loyalty",
            tenders=[Tender("card", D("200")), Tender("financing", D("80"), "Cherry"),
                     Tender("cash", D("30"))],
        )  # fmt: skip
        second = visit_sale(cast, world, provider, tip=D("33.33"), tenders=[Tender("card", D("333.33"))])
        retail = retail_sale(
            world, provider, serum, 2, tenders=[Tender("card", D("100")), Tender("gift_credit", D("95.95"))]
        )
        financing = first.payments.get(method="financing")
        checkout.sale_refund(
            sale=first, payment=financing, amount=D("50"), reason="x", by=cast.admin_a, idempotency_key="1"
        )
        checkout.sale_refund(
            sale=second, payment=second.payments.get(), amount=D("333.33"), reason="redo", by=cast.admin_a,
            idempotency_key="2",
        )  # fmt: skip
        checkout.sale_refund(
            sale=retail, payment=retail.payments.get(method="card"), amount=D("0.07"), reason="scratch",
            by=cast.admin_a, idempotency_key="3",
        )  # fmt: skip
        open_cart = checkout.retail_sale_open(provider=provider, location=world.location, by=provider.user)
        checkout.retail_line_set(sale=open_cart, product=serum, quantity=D("1"))
        voided = checkout.retail_sale_open(provider=provider, location=world.location, by=provider.user)
        checkout.retail_line_set(sale=voided, product=serum, quantity=D("3"))
        checkout.retail_sale_void(sale=voided)
        return first, second, retail


# --- Rows written directly, for many transactions and for exact times ---------------------------------------


def bulk_sales(provider, *, count=1, when=None, subtotal="100.00", discount="0.00", tax="8.00", tip="0.00",
               percent="0.00", method="card", patient=None, step=timedelta(minutes=1)):  # fmt: skip
    """`count` paid retail sales of `provider`, one line and one payment each, a minute apart back from
    `when` (total = subtotal - discount + tax + tip, as the database requires)."""
    with medspa_scope(provider.medspa_id):
        when = when or timezone.now() - timedelta(hours=1)
        subtotal, discount, tax, tip, percent = D(subtotal), D(discount), D(tax), D(tip), D(percent)
        share = ((subtotal - discount) * percent / 100).quantize(D("0.01"))
        location = _location(provider.medspa)
        sales = Sale.objects.bulk_create(
            Sale(medspa_id=provider.medspa_id, kind=SaleKind.RETAIL, provider=provider, location=location,
                 patient=patient, status=SaleStatus.PAID, subtotal=subtotal, discount=discount, tax=tax,
                 tip=tip,
                 total=subtotal - discount + tax + tip, portrait_percent=percent, portrait_share=share,
                 created_by=provider.user, paid_at=when - step * number)
            for number in range(count)
        )  # fmt: skip
        SaleLine.objects.bulk_create(
            SaleLine(medspa_id=sale.medspa_id, sale=sale, kind=SaleLine.Kind.RETAIL, description="Serum",
                     unit_price=subtotal, amount=subtotal)
            for sale in sales
        )  # fmt: skip
        Payment.objects.bulk_create(
            Payment(medspa_id=sale.medspa_id, sale=sale, method=method, amount=sale.total,
                    recorded_by=provider.user)
            for sale in sales
        )  # fmt: skip
        return sales


def _location(medspa):
    location, _ = Location.objects.get_or_create(
        medspa=medspa, name="Earnings clinic",
        defaults={"address_line1": "1 Main St", "city": "San Diego", "state": "CA", "postal_code": "92101",
                  "time_zone": "America/Los_Angeles"},
    )  # fmt: skip
    return location


def refund_at(sale, amount, moment, by, key="r"):
    """A refund through the real service, given at `moment` (refunded_at is set on insert)."""
    with medspa_scope(sale.medspa_id), mock.patch("django.utils.timezone.now", return_value=moment):
        return checkout.sale_refund(
            sale=sale, payment=sale.payments.first(), amount=D(amount), reason="r", by=by, idempotency_key=key
        )


# --- Reconciliation -----------------------------------------------------------------------------------------


class TestReconciliation:
    def test_net_collected_equals_the_payments_less_the_refunds_recorded_to_the_cent(
        self, cast, medspa, real_sales
    ):
        with medspa_scope(medspa):
            figures = earnings.summary(Scope(medspa), this_year())
            paid = Payment.objects.aggregate(total=Sum("amount"))["total"]
            refunded = Refund.objects.aggregate(total=Sum("amount"))["total"]
            assert paid == D("310.00") + D("333.33") + D(
                "195.95"
            )  # the open and voided carts have no payment
            assert (figures.payments, figures.refunds) == (paid, refunded)
            assert figures.net_collected == paid - refunded == D("455.88")

    def test_the_breakdown_adds_up_to_the_money_collected(self, cast, medspa, real_sales):
        with medspa_scope(medspa):
            first, second, retail = real_sales
            figures = earnings.summary(Scope(medspa), this_year())
            assert (figures.sale_count, figures.refund_count) == (3, 3)
            assert figures.services == D("600.00")  # two visits of a $300 service
            assert figures.products == D("0.00")
            assert figures.retail == D("179.98")  # 2 × $89.99
            assert figures.subtotal == figures.services + figures.products + figures.retail
            assert figures.discounts == D("30.00")
            assert figures.tax == retail.tax == D("15.97")
            assert figures.tips == D("73.33")
            refunds = Refund.objects.aggregate(tax=Sum("tax_part"), tip=Sum("tip_part"))
            assert (figures.refunded_tax, figures.refunded_tips) == (refunds["tax"], refunds["tip"])
            assert figures.revenue == sum(sale.revenue for sale in real_sales) - sum(
                refund.revenue_part for refund in Refund.objects.all()
            )
            assert figures.revenue + figures.tax_net + figures.tips_net == figures.net_collected
            assert figures.financing == D("80.00") - D("50.00")
            assert not figures.is_flex

    def test_the_months_and_the_providers_add_up_to_the_summary(
        self, cast, medspa, provider, colleague, real_sales
    ):
        with medspa_scope(medspa):
            bulk_sales(
                colleague, count=3, subtotal="250.00", tip="10.00", when=timezone.now() - timedelta(days=40)
            )
            period = this_year()
            figures = earnings.summary(Scope(medspa), period)
            assert len(figures.months) == len(period.months())
            assert sum((month.revenue for month in figures.months), D(0)) == figures.revenue
            rows = earnings.by_provider(Scope(medspa), period)
            assert {row.provider_id for row in rows} == {provider.pk, colleague.pk}
            assert sum((row.revenue for row in rows), D(0)) == figures.revenue
            assert sum((row.net_collected for row in rows), D(0)) == figures.net_collected
            assert sum((row.tips for row in rows), D(0)) == figures.tips_net
            a2_row = next(row for row in rows if row.provider_id == colleague.pk)
            assert (a2_row.sale_count, a2_row.revenue, a2_row.net_collected) == (3, D("750.00"), D("804.00"))


class TestFlex:
    def test_medspa_share_and_portrait_share_make_the_revenue_exactly(
        self, cast, medspa, world, provider, serum
    ):
        with medspa_scope(medspa):
            medspa.business_model, medspa.flex_revenue_split_percent = BusinessModel.FLEX, D("15.00")
            medspa.save()
            sale = visit_sale(
                cast, world, provider, tip=D("12.34"), discount=D("0.03"), discount_reason="round",
                tenders=[Tender("card", D("200")), Tender("cash", D("112.31"))],
            )  # fmt: skip
            retail = retail_sale(world, provider, serum, 1, tenders=[Tender("card", D("97.98"))])
            checkout.sale_refund(
                sale=sale, payment=sale.payments.get(method="card"), amount=D("99.99"), reason="x",
                by=cast.admin_a, idempotency_key="a",
            )  # fmt: skip
            figures = earnings.summary(Scope(medspa), this_year())
            assert figures.is_flex
            assert sale.portrait_share == D("45.00")  # 15 % of 299.97 = 44.9955
            shares = Sale.objects.filter(status=SaleStatus.PAID).aggregate(total=Sum("portrait_share"))[
                "total"
            ]
            parts = Refund.objects.aggregate(total=Sum("portrait_part"))["total"]
            assert (
                figures.portrait_share
                == shares - parts
                == sale.portrait_share + retail.portrait_share - parts
            )
            assert figures.medspa_share + figures.portrait_share == figures.revenue
            month = figures.months[-1]
            assert month.medspa_share + month.portrait_share == month.revenue == figures.revenue

    def test_a_past_flex_sale_shows_the_split_after_the_medspa_left_flex(self, medspa, provider):
        with medspa_scope(medspa):
            bulk_sales(provider, percent="20.00", subtotal="100.00")
            figures = earnings.summary(Scope(medspa), this_year())
            assert medspa.business_model == "launch" and figures.is_flex
            assert (figures.portrait_share, figures.medspa_share) == (D("20.00"), D("80.00"))
            assert earnings.summary_is_flex(Scope(medspa), this_year())


# --- Periods ------------------------------------------------------------------------------------------------


class TestPeriods:
    def test_days_are_the_medspas_both_ends_included(self, cast, medspa, provider):
        with medspa_scope(medspa):
            late_january = datetime(2026, 1, 31, 23, 30, tzinfo=LA)  # Feb 1, 07:30 UTC
            (january,) = bulk_sales(provider, when=late_january, subtotal="10.00", tax="0.00")
            (first_of_feb,) = bulk_sales(
                provider, when=datetime(2026, 2, 1, 0, 10, tzinfo=LA), subtotal="20.00", tax="0"
            )
            (last_of_feb,) = bulk_sales(
                provider, when=datetime(2026, 2, 28, 23, 59, tzinfo=LA), subtotal="40.00", tax="0"
            )
            bulk_sales(provider, when=datetime(2026, 3, 1, 0, 0, tzinfo=LA), subtotal="80.00", tax="0")
            refund_at(january, "5.00", datetime(2026, 2, 3, 12, tzinfo=LA), cast.admin_a)

            february = earnings.summary(Scope(medspa), Period(date(2026, 2, 1), date(2026, 2, 28), LA))
            assert (february.sale_count, february.payments) == (2, D("60.00"))
            assert (february.refund_count, february.net_collected) == (
                1,
                D("55.00"),
            )  # the January sale's refund

            winter = earnings.summary(Scope(medspa), Period(date(2026, 1, 1), date(2026, 3, 31), LA))
            assert [(m.month, m.revenue) for m in winter.months] == [
                (date(2026, 1, 1), D("10.00")),
                (date(2026, 2, 1), D("55.00")),
                (date(2026, 3, 1), D("80.00")),
            ]

    def test_the_default_period_is_the_last_twelve_months_to_today(self, medspa):
        period = earnings.default_period(medspa, today=date(2026, 3, 14))
        assert (period.start, period.end) == (date(2025, 4, 1), date(2026, 3, 14))
        assert period.months()[0] == date(2025, 4, 1) and len(period.months()) == 12

    def test_the_page_filters_by_the_dates_given(self, client_as, medspa, provider):
        (inside,) = bulk_sales(provider, when=datetime(2026, 2, 10, 12, tzinfo=LA))
        (outside,) = bulk_sales(provider, when=datetime(2026, 3, 1, 0, 1, tzinfo=LA))
        page = client_as("provider_a1").get(
            "/provider/earnings/", {"start": "2026-02-01", "end": "2026-02-28"}
        )
        html = page.content.decode()
        assert inside.number in html and outside.number not in html
        assert 'value="2026-02-01"' in html and 'value="2026-02-28"' in html

    @pytest.mark.parametrize(
        "query, message",
        [
            ({"start": "2026-02-31"}, "Enter a real date, like 2026-03-31."),
            ({"start": "2026-03-01", "end": "2026-02-01"}, "The period ends before it starts"),
            ({"start": "1990-01-01", "end": "2026-01-01"}, "at most 10 years"),
            ({"end": "9999-12-31"}, "Pick a day between 1900 and 2999."),
        ],
    )
    def test_a_bad_date_gets_a_clear_error_and_keeps_what_was_typed(self, client_as, medspa, query, message):
        response = client_as("admin_a").get("/dashboard/earnings/", query)
        html = response.content.decode()
        assert response.status_code == 200
        assert message in html and "Fix the filter above" in html
        for value in query.values():
            assert f'value="{value}"' in html
        csv_response = client_as("admin_a").get("/dashboard/earnings/transactions.csv", query)
        assert csv_response.status_code == 400

    def test_only_an_end_date_shows_the_twelve_months_up_to_it(self, client_as, medspa):
        html = client_as("admin_a").get("/dashboard/earnings/", {"end": "2025-06-15"}).content.decode()
        assert 'value="2024-07-01"' in html and "Jul 1, 2024 to Jun 15, 2025" in html


# --- Pages --------------------------------------------------------------------------------------------------


def sale_link(name: str, pk: int) -> str | None:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return None


class TestPages:
    def test_a_provider_sees_only_their_own_sales(self, cast, client_as, medspa, provider, colleague):
        patient = factories.PatientFactory(medspa=medspa, first_name="Ada", last_name="Own")
        other = factories.PatientFactory(medspa=medspa, first_name="Bea", last_name="Others")
        (own,) = bulk_sales(provider, patient=patient, subtotal="123.00")
        (theirs,) = bulk_sales(colleague, patient=other, subtotal="456.00")
        html = client_as("provider_a1").get("/provider/earnings/").content.decode()
        assert own.number in html and "Ada Own" in html
        assert theirs.number not in html and "Bea Others" not in html and "456.00" not in html
        link = sale_link("providers:sale_detail", own.pk)
        if link:  # the sales pages are built separately
            assert f'href="{link}"' in html
        rows = list(
            csv.reader(
                io.StringIO(self._csv(client_as("provider_a1"), "/provider/earnings/transactions.csv"))
            )
        )
        assert [row[3] for row in rows[1:]] == [own.number]

    def test_the_admin_sees_the_whole_medspa_each_provider_and_can_pick_one(
        self, client_as, medspa, provider, colleague
    ):
        (one,) = bulk_sales(provider, subtotal="100.00")
        (two,) = bulk_sales(colleague, subtotal="200.00")
        html = client_as("admin_a").get("/dashboard/earnings/").content.decode()
        assert one.number in html and two.number in html
        assert "By provider" in html
        assert (
            escape(provider.user.get_full_name()) in html and escape(colleague.user.get_full_name()) in html
        )
        link = sale_link("providers:admin_sale_detail", two.pk)
        if link:
            assert f'href="{link}"' in html
        only = client_as("admin_a").get("/dashboard/earnings/", {"provider": colleague.pk}).content.decode()
        assert two.number in only and one.number not in only
        assert f"{escape(colleague.user.get_full_name())}'s sales only" in only

    def test_another_medspas_provider_cannot_be_picked_and_its_sales_never_show(
        self, cast, client_as, medspa, provider
    ):
        (sale,) = bulk_sales(provider)
        with medspa_scope(cast.medspa_b):
            b_provider = cast.provider_b.memberships.get()
        html = client_as("admin_a").get("/dashboard/earnings/", {"provider": b_provider.pk}).content.decode()
        assert "Select a valid choice" in html
        other_admin = client_as("admin_b").get("/dashboard/earnings/").content.decode()
        assert sale.number not in other_admin and "No payments or refunds" in other_admin

    def test_an_empty_period_explains_what_will_appear(self, client_as, medspa):
        html = client_as("provider_a1").get("/provider/earnings/").content.decode()
        assert (
            "No payments or refunds of your sales" in html and "appears here on the day it was paid" in html
        )
        assert "Export CSV" not in html

    def test_the_page_shows_the_chart_the_summary_and_the_flex_split(self, cast, client_as, medspa, provider):
        medspa.business_model, medspa.flex_revenue_split_percent = BusinessModel.FLEX, D("15.00")
        medspa.save()
        bulk_sales(provider, subtotal="1000.00", tax="0.00", tip="50.00", percent="15.00")
        response = client_as("admin_a").get("/dashboard/earnings/")
        html = response.content.decode()
        assert "<svg" in html and 'role="img"' in html and "style=" not in html and "<script>" not in html
        assert "Medspa's share" in html and "$850.00" in html and "$150.00" in html
        assert "The chart's figures as a table" in html
        assert "$1,050.00" in html  # net collected

    def test_transactions_are_paginated_newest_first_and_pages_keep_the_filter(
        self, client_as, medspa, provider
    ):
        sales = bulk_sales(provider, count=120, when=datetime(2026, 2, 27, 12, tzinfo=LA))
        client = client_as("provider_a1")
        query = {"start": "2026-02-01", "end": "2026-02-28"}
        first = client.get("/provider/earnings/", query).content.decode()
        numbers = re.findall(r"S-\d{6}", first)
        assert numbers[:3] == [sales[0].number, sales[1].number, sales[2].number]  # newest first
        assert len(set(numbers)) == 50 and "Page 1 of 3" in first
        assert "?start=2026-02-01&amp;end=2026-02-28&amp;page=2" in first
        last = client.get("/provider/earnings/", {**query, "page": "3"}).content.decode()
        assert len(set(re.findall(r"S-\d{6}", last))) == 20 and sales[-1].number in last
        assert client.get("/provider/earnings/", {**query, "page": "99"}).status_code == 200

    @pytest.mark.parametrize("count", [3, 30])
    def test_the_pages_make_the_same_number_of_queries_however_many_rows(
        self, client_as, medspa, provider, colleague, count, django_assert_num_queries
    ):
        bulk_sales(provider, count=count)
        bulk_sales(colleague, count=count)
        with medspa_scope(medspa):
            for sale in Sale.objects.filter(provider=provider)[:2]:
                Refund.objects.create(
                    medspa=medspa, sale=sale, payment=sale.payments.get(), amount=D("1.00"), reason="r",
                    tax_part=D("0"), tip_part=D("0"), portrait_part=D("0"), refunded_by=provider.user,
                    idempotency_key="k",
                )  # fmt: skip
        own = client_as("provider_a1")
        own.get("/provider/earnings/")  # the session settles (dashboard choice written) before counting
        with django_assert_num_queries(PROVIDER_PAGE_QUERIES):
            assert b"S-" in own.get("/provider/earnings/").content
        admin = client_as("admin_a")
        admin.get("/dashboard/earnings/")
        with django_assert_num_queries(ADMIN_PAGE_QUERIES):
            assert b"By provider" in admin.get("/dashboard/earnings/").content

    @staticmethod
    def _csv(client, url, query=None) -> str:
        response = client.get(url, query or {})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        return b"".join(response.streaming_content).decode()


# The provider page: the request's own (session, user, memberships, MFA check, the request's savepoint and
# its release, the session's save: savepoint, update, release) = 9; the summary (sales by month, refunds by
# month, lines, payments) = 4; one page of the transactions (a UNION ALL; the count is the summary's) and
# its sales' lines and payment methods = 2.
PROVIDER_PAGE_QUERIES = 15
# The admin page: the same, + by provider (sales, payments, refunds) = 3, + the provider select's options,
# + Stripe's fees of the period's card payments.
ADMIN_PAGE_QUERIES = 20


# --- CSV ----------------------------------------------------------------------------------------------------


class TestCsv:
    def test_every_row_of_the_period_with_totals_that_reconcile(
        self, cast, client_as, medspa, provider, colleague, real_sales
    ):
        bulk_sales(colleague, count=2, subtotal="70.00", method="financing")
        body = TestPages._csv(client_as("admin_a"), "/dashboard/earnings/transactions.csv")
        rows = list(csv.DictReader(io.StringIO(body)))
        with medspa_scope(medspa):
            figures = earnings.summary(Scope(medspa), this_year())
        assert len(rows) == figures.transaction_count == 8
        assert sum(D(row["Total"]) for row in rows) == figures.net_collected
        assert sum(D(row["Tip"]) for row in rows) == figures.tips_net
        refunds = [row for row in rows if row["Kind"] == "Refund"]
        assert len(refunds) == 3 and all(D(row["Total"]) < 0 for row in refunds)
        assert {row["Payment methods"] for row in refunds} == {"Financing", "Card"}
        first = next(row for row in rows if row["Number"] == real_sales[0].number and row["Kind"] != "Refund")
        assert (first["Services"], first["Discount"], first["Tip"], first["Total"]) == (
            "300.00",
            "30.00",
            "40.00",
            "310.00",
        )
        assert first["Payment methods"] == "Card, Cash, Financing"
        assert "Portrait share" not in rows[0]

    def test_cells_that_a_spreadsheet_would_run_are_defused_but_numbers_stay_numbers(
        self, client_as, medspa, provider
    ):
        patient = factories.PatientFactory(
            medspa=medspa, first_name='=HYPERLINK("http://x")', last_name="@Evil"
        )
        (sale,) = bulk_sales(provider, patient=patient, subtotal="10.00", tax="0.00")
        refund_at(sale, "2.50", timezone.now(), provider.user)
        body = TestPages._csv(client_as("provider_a1"), "/provider/earnings/transactions.csv")
        refund, paid = list(csv.reader(io.StringIO(body)))[1:]
        assert paid[4] == '\'=HYPERLINK("http://x") @Evil'
        assert refund[12] == "-2.50" and refund[0][0].isdigit()
        assert earnings_csv.csv_safe("-1+2") == "'-1+2" and earnings_csv.csv_safe(D("-3.00")) == D("-3.00")
        assert (
            earnings_csv.csv_safe("+1") == "'+1"
            and earnings_csv.csv_safe("@a") == "'@a"
            and earnings_csv.csv_safe(None) == ""
        )

    def test_the_export_has_the_portrait_share_on_flex_and_follows_the_filter(
        self, client_as, medspa, provider, colleague
    ):
        medspa.business_model, medspa.flex_revenue_split_percent = BusinessModel.FLEX, D("15.00")
        medspa.save()
        bulk_sales(provider, percent="15.00", subtotal="100.00", when=datetime(2026, 1, 5, 9, tzinfo=LA))
        bulk_sales(colleague, percent="15.00", subtotal="100.00", when=datetime(2026, 1, 5, 9, tzinfo=LA))
        bulk_sales(provider, percent="15.00", when=datetime(2025, 12, 31, 23, tzinfo=LA))
        response = client_as("admin_a").get(
            "/dashboard/earnings/transactions.csv",
            {"start": "2026-01-01", "end": "2026-01-31", "provider": provider.pk},
        )
        assert f"earnings-{provider.pk}-2026-01-01-to-2026-01-31.csv" in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert len(rows) == 1 and rows[0]["Portrait share"] == "15.00" and rows[0]["Date"] == "2026-01-05"

    @pytest.mark.django_db(transaction=True)
    def test_the_export_streams_from_one_cursor_in_a_transaction_of_its_own(
        self, client_as, medspa, provider, connect_as, monkeypatch
    ):
        """The body is read after the view's transaction is done. Its rows come from a server-side cursor in
        a transaction of the export's own, not a WITH HOLD one, which PgBouncer in transaction mode cannot
        keep: here another client takes an idle server connection between the chunks, the one the export
        would have left between its fetches, and the export reads on."""
        patients = [factories.PatientFactory(medspa=medspa) for _ in range(5)]
        for patient in patients:
            bulk_sales(provider, patient=patient)
        monkeypatch.setitem(earnings_csv.csv_rows.__kwdefaults__, "chunk_size", 2)
        other, cursors, rows_of = connect_as("app"), [], earnings_csv.transaction_rows

        def chunk_rows(scope, period, chunk):
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, is_holdable FROM pg_cursors")
                cursors.append(cursor.fetchall())
            other.execute("SELECT 1")  # a transaction of its own: it holds its server connection
            return rows_of(scope, period, chunk)

        monkeypatch.setattr(earnings_csv, "transaction_rows", chunk_rows)
        body = TestPages._csv(client_as("admin_a"), "/dashboard/earnings/transactions.csv")
        other.rollback()
        assert len(list(csv.DictReader(io.StringIO(body)))) == 5
        # Chunks of 2, 2 and 1 (the last read to the end, its cursor closed): one named cursor, not WITH HOLD.
        (name, holdable) = cursors[0][0]
        assert cursors == [[(name, False)], [(name, False)], []] and name.startswith("_django_curs_")
        with medspa_scope(medspa):
            assert PatientAccessLog.objects.filter(patient__in=patients).count() == 5

    @pytest.mark.django_db(transaction=True)
    def test_an_export_stopped_half_way_keeps_the_access_log_of_what_was_sent(
        self, client_as, medspa, provider, monkeypatch
    ):
        patients = [factories.PatientFactory(medspa=medspa) for _ in range(5)]
        for patient in patients:
            bulk_sales(provider, patient=patient)
        monkeypatch.setitem(earnings_csv.csv_rows.__kwdefaults__, "chunk_size", 2)
        response = client_as("admin_a").get("/dashboard/earnings/transactions.csv")
        lines = iter(response.streaming_content)
        assert [next(lines) for _ in range(3)]  # the header and the first chunk's two rows
        response.close()  # the client went away: the server closes the response, and its generator
        with medspa_scope(medspa):
            assert PatientAccessLog.objects.filter(patient__in=patients).count() == 2
        assert connection.get_autocommit() and not connection.in_atomic_block


# --- The chart ----------------------------------------------------------------------------------------------


class TestChart:
    SERIES = [Series("Medspa", "chart-medspa", "#111"), Series("Portrait", "chart-portrait", "#222")]

    def test_each_bar_is_drawn_to_scale_with_a_title_and_no_style_attribute(self):
        bars = [
            Bar("Jan", "January 2026: $500", (D("400"), D("100")), "2026"),
            Bar("Feb", "February <2026>: $0", (D("0"), D("0"))),
            Bar("Mar", "March 2026: $250", (D("200"), D("50"))),
        ]
        svg = str(bar_chart(bars, self.SERIES, title="Revenue", description="Monthly revenue"))
        assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg
        assert svg.count("<title>") == 3 and "February &lt;2026&gt;: $0" in svg  # escaped
        heights = [D(h) for h in re.findall(r'class="chart-medspa"[^>]* height="([\d.]+)"', svg)]
        assert heights[0] == 2 * heights[2] and heights[1] == 0
        assert ">$600<" in svg and ">$200<" in svg  # gridlines every $200
        assert ">2026<" in svg and ">Jan<" in svg

    def test_a_negative_month_goes_below_zero(self):
        svg = str(bar_chart([Bar("Jan", "t", (D("-50"),)), Bar("Feb", "t", (D("100"),))], self.SERIES[:1],
                            title="t", description="d"))  # fmt: skip
        assert ">−$50<" in svg and ">$0<" in svg

    def test_steps_and_labels_are_round(self):
        assert nice_step(D("1000")) == D("250")
        assert nice_step(D("7300")) == D("2000")
        assert nice_step(D("0")) == D("1")
        assert [short_dollars(D(v)) for v in ("0", "800", "1500", "12000", "2500000", "-2000", "2.5")] == [
            "$0", "$800", "$1.5k", "$12k", "$2.5M", "−$2k", "$2.5",
        ]  # fmt: skip


# --- In a browser -------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_page_draws_the_chart_under_the_content_security_policy(live_cast, live_server, page):
    from playwright.sync_api import expect

    from tests.browser import screenshot, sign_in

    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )
    medspa = live_cast.medspa_a
    medspa.business_model, medspa.flex_revenue_split_percent = BusinessModel.FLEX, D("15.00")
    medspa.time_zone = "America/Los_Angeles"
    medspa.save()
    with medspa_scope(medspa):
        a1, a2 = live_cast.provider_a1.memberships.get(), live_cast.provider_a2.memberships.get()
    for months_back, provider in enumerate([a1, a2, a1, a2, a1, a1, a2]):
        when = timezone.now() - timedelta(days=31 * months_back + 1)
        subtotal = f"{200 + 90 * months_back}.00"
        bulk_sales(
            provider, count=months_back + 2, subtotal=subtotal, tip="15.00", percent="15.00", when=when
        )
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(live_server.url + "/dashboard/earnings/")
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 500
    assert page.locator("svg.chart g.chart-bar").count() == 12
    assert "revenue" in page.locator("svg.chart g.chart-bar title").last.text_content()
    expect(page.get_by_role("heading", name="By provider")).to_be_visible()
    expect(page.locator(".earnings-transactions tbody tr")).to_have_count(35)
    screenshot(page, "earnings-admin")
    page.get_by_label("From", exact=True).fill("2026-02-01")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Fix the filter above")).to_be_visible()
    expect(page.get_by_text("The period ends before it starts")).to_be_visible()
    assert violations == []
