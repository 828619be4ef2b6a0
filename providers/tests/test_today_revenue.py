"""The admin's Today about money (providers.selectors.today): today's revenue in the medspa's zone, counted as
Earnings counts it (sales paid less the revenue part of the refunds given, open and voided sales never), so
that the two pages agree to the cent; against the average of the same weekday over the previous 8 weeks of
business; the day the clocks go back; nothing of another medspa's; three queries."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from medspa.tenancy import medspa_scope
from providers.selectors import earnings, today
from providers.selectors.earnings import Period, Scope
from providers.services import checkout
from providers.tests.test_earnings import bulk_sales, refund_at
from tests import factories

pytestmark = pytest.mark.usefixtures("media_and_sms")

LA = ZoneInfo("America/Los_Angeles")
D = Decimal
TUESDAY = datetime(2026, 12, 8, 15, 0, tzinfo=LA)


@pytest.fixture
def medspa(cast):
    cast.medspa_a.time_zone = "America/Los_Angeles"
    cast.medspa_a.save()
    return cast.medspa_a


def at(day: date, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, fold=fold, tzinfo=LA)


def revenue(medspa) -> today.RevenueToday:
    with medspa_scope(medspa):
        return today.revenue_today(medspa)


@pytest.fixture
def weeks(cast, medspa, provider):
    """Tuesday Dec 8: $1,334.50 of sales, less a $108 refund (of which $8 tax) of a sale of Dec 1, and a cart
    voided; the three Tuesdays before ($1,100, $900, $1,300; the first sale was on Nov 17); a Monday's big
    sale, which no Tuesday counts; medspa B's sale today."""
    d = TUESDAY.date()
    with time_machine.travel(TUESDAY, tick=False):
        bulk_sales(provider, when=at(d - timedelta(weeks=3), 10), subtotal="1300.00", tax="104.00")
        bulk_sales(provider, when=at(d - timedelta(weeks=2), 10), subtotal="900.00")
        [refunded] = bulk_sales(provider, when=at(d - timedelta(weeks=1), 9), subtotal="100.00", tax="8.00")
        bulk_sales(provider, when=at(d - timedelta(weeks=1), 11), subtotal="1000.00")
        bulk_sales(provider, when=at(d - timedelta(days=1), 12), subtotal="5000.00")
        bulk_sales(provider, when=at(d, 9), subtotal="1000.00", tip="150.00")
        bulk_sales(provider, when=at(d, 10), subtotal="400.00", discount="65.50", tax="27.00")
        refund_at(refunded, "108.00", at(d, 11), cast.admin_a)
        product = factories.retail_product(medspa, "Serum", "S1", "89.99")
        with medspa_scope(medspa):
            voided = checkout.retail_sale_open(provider=provider, location=refunded.location, by=cast.admin_a)
            checkout.retail_line_set(sale=voided, product=product, quantity=D("3"))
            checkout.retail_sale_void(sale=voided)
        with scopes_disabled():
            other = cast.provider_b.memberships.get()
        bulk_sales(other, when=at(d, 10), subtotal="777.00")


def test_today_is_the_sales_less_the_revenue_part_of_todays_refunds(cast, medspa, weeks):
    with time_machine.travel(TUESDAY, tick=False):
        found = revenue(medspa)
    assert found.day == TUESDAY.date()
    assert found.revenue == D("1000.00") + D("334.50") - D("100.00")
    assert found.usd == "$1,234.50"


def test_it_is_the_figure_earnings_shows_for_the_day(cast, medspa, weeks):
    with time_machine.travel(TUESDAY, tick=False), medspa_scope(medspa):
        scope = Scope(medspa)
        days = [TUESDAY.date() - timedelta(days=n) for n in range(22)]
        by_day = earnings.revenue_by_day(scope, days)
        for day in days:
            assert by_day[day] == earnings.summary(scope, Period(day, day, medspa.tz)).revenue, day


def test_the_average_is_of_the_same_weekday_since_the_first_sale(cast, medspa, weeks):
    with time_machine.travel(TUESDAY, tick=False):
        found = revenue(medspa)
    assert list(found.earlier.items()) == [
        (date(2026, 12, 1), D("1100.00")),  # the refund given today counts today, not on the day of the sale
        (date(2026, 11, 24), D("900.00")),
        (date(2026, 11, 17), D("1300.00")),
    ]
    assert found.average == D("1100.00")
    assert found.change_percent == 12  # 1,234.50 / 1,100 = +12.2%
    assert found.comparison == "+12% vs. the average Tuesday"
    assert found.basis == "$1,100.00 on average over the last 3 Tuesdays"


def test_the_page_shows_the_figure_the_comparison_and_the_link_to_earnings(cast, client_as, medspa, weeks):
    with time_machine.travel(TUESDAY, tick=False):
        page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
        other = client_as("admin_b").get(reverse("dashboard_home")).content.decode()
    section = re.search(r'<section[^>]*id="today-revenue".*?</section>', page, re.S).group(0)
    assert "$1,234.50" in section and "+12% vs. the average Tuesday" in section
    assert "$1,100.00 on average over the last 3 Tuesdays" in section
    url = reverse("providers:admin_earnings") + "?start=2026-12-08&amp;end=2026-12-08"
    assert url in section
    section = re.search(r'<section[^>]*id="today-revenue".*?</section>', other, re.S).group(0)
    assert "$777.00" in section and "No earlier Tuesdays yet" in section  # medspa B's own, New York's day


def test_earnings_for_the_day_shows_the_same_revenue(cast, client_as, medspa, weeks):
    with time_machine.travel(TUESDAY, tick=False):
        response = client_as("admin_a").get(
            reverse("providers:admin_earnings"), {"start": "2026-12-08", "end": "2026-12-08"}
        )
    assert response.context["summary"].revenue == D("1234.50")


def test_only_the_previous_eight_weeks_count(cast, medspa, provider):
    d = TUESDAY.date()
    with time_machine.travel(TUESDAY, tick=False):
        bulk_sales(provider, when=at(d - timedelta(weeks=9), 10), subtotal="9000.00")  # too long ago
        bulk_sales(provider, when=at(d - timedelta(weeks=8), 10), subtotal="800.00")
        bulk_sales(provider, when=at(d, 10), subtotal="75.00")
        found = revenue(medspa)
    assert len(found.earlier) == 8 and min(found.earlier) == d - timedelta(weeks=8)
    assert found.average == D("100.00")  # $800 over 8 Tuesdays, 7 of them without a sale
    assert found.comparison == "\u221225% vs. the average Tuesday"


def test_no_earlier_weekday_before_the_first_sale(cast, medspa, provider):
    d = TUESDAY.date()
    with time_machine.travel(TUESDAY, tick=False):
        assert revenue(medspa).comparison == "No earlier Tuesdays yet to compare with."  # nothing sold ever
        bulk_sales(provider, when=at(d - timedelta(days=6), 10), subtotal="50.00")  # last Wednesday
        found = revenue(medspa)
    assert found.revenue == D("0.00") and found.earlier == {} and found.average is None
    assert found.comparison == "No earlier Tuesdays yet to compare with." and found.basis == ""


def test_earlier_weekdays_without_revenue(cast, medspa, provider):
    d = TUESDAY.date()
    with time_machine.travel(TUESDAY, tick=False):
        bulk_sales(provider, when=at(d - timedelta(days=8), 10), subtotal="50.00")  # a Monday, 8 days ago
        bulk_sales(provider, when=at(d, 10), subtotal="20.00")
        found = revenue(medspa)
    assert found.earlier == {d - timedelta(weeks=1): D("0.00")}
    assert found.comparison == "The average Tuesday had no revenue."
    assert found.basis == "$0.00 on average over last Tuesday"


def test_the_day_the_clocks_go_back_has_25_hours(cast, medspa, provider):
    # Sunday Nov 1, 2026: Los Angeles goes from 2:00 PDT back to 1:00 PST.
    sunday = date(2026, 11, 1)
    with time_machine.travel(at(sunday, 23, 45), tick=False):
        bulk_sales(provider, when=at(sunday - timedelta(days=1), 23, 30), subtotal="1.00")  # Saturday night
        bulk_sales(provider, when=at(sunday, 0, 30), subtotal="10.00")
        bulk_sales(provider, when=at(sunday, 1, 30, fold=1), subtotal="20.00")  # the second 1:30
        bulk_sales(provider, when=at(sunday, 23, 30), subtotal="40.00")
        bulk_sales(provider, when=at(sunday - timedelta(weeks=1), 23, 30), subtotal="35.00")  # PDT still
        bulk_sales(provider, when=at(sunday + timedelta(days=1), 0, 10), subtotal="80.00")  # Monday
        found = revenue(medspa)
    assert found.day == sunday and found.revenue == D("70.00")
    assert found.earlier == {date(2026, 10, 25): D("35.00")}
    assert found.comparison == "+100% vs. the average Sunday"


def test_three_queries_however_many_sales(cast, medspa, provider, django_assert_num_queries):
    with time_machine.travel(TUESDAY, tick=False):
        for week in range(9):
            bulk_sales(provider, count=5, when=at(TUESDAY.date() - timedelta(weeks=week), 12))
        # the first sale; the sales of the 9 days, summed by day; the refunds of the 9 days, summed by day
        with medspa_scope(medspa), django_assert_num_queries(3):
            found = today.revenue_today(medspa)
    assert found.revenue == D("500.00") and len(found.earlier) == 8
