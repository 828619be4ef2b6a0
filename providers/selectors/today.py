"""The admin's "Today" revenue (medspa.views.panels.ADMIN_TODAY): the medspa's revenue of today against the
average of the same weekday over the previous weeks, counted as Earnings counts it (providers.selectors.
earnings.revenue_by_day), so that the two pages agree to the cent. Three queries."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils import timezone

from medspa import clock
from medspa.models import Medspa
from medspa.money import MINUS, ZERO, cents, money_format
from providers.selectors import earnings

WEEKS = 8  # the same weekday of the previous 8 weeks


@dataclass(frozen=True)
class RevenueToday:
    """Today's revenue, and the same weekday's of the earlier weeks the medspa was selling (its first sale
    on or before them): a weekday before the first sale is no day of business, not a day of no revenue."""

    day: date
    revenue: Decimal
    earlier: dict[date, Decimal]

    @property
    def weekday(self) -> str:
        return f"{self.day:%A}"

    @property
    def average(self) -> Decimal | None:
        if not self.earlier:
            return None
        return cents(sum(self.earlier.values(), ZERO) / len(self.earlier))

    @property
    def change_percent(self) -> int | None:
        """Today against the average, in whole percent (half up); None with no average above zero."""
        average = self.average
        if average is None or average <= 0:
            return None
        change = (self.revenue - average) * 100 / average
        return int(change.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def comparison(self) -> str:
        """Words like "+12% vs. the average Tuesday", "Same as the average Tuesday", or why there are none."""
        if self.average is None:
            return f"No earlier {self.weekday}s yet to compare with."
        percent = self.change_percent
        if percent is None:
            return f"The average {self.weekday} had no revenue."
        if percent == 0:
            return f"Same as the average {self.weekday}"
        sign = "+" if percent > 0 else MINUS
        return f"{sign}{abs(percent)}% vs. the average {self.weekday}"

    @property
    def basis(self) -> str:
        """What the average is: "$1,100.00 on average over the last 8 Tuesdays"."""
        if self.average is None:
            return ""
        count = len(self.earlier)
        days = f"the last {count} {self.weekday}s" if count > 1 else f"last {self.weekday}"
        return f"{money_format(self.average)} on average over {days}"

    @property
    def usd(self) -> str:
        return money_format(self.revenue)

    @property
    def earnings_url(self) -> str:
        """The admin's Earnings for today: the same figure, with its transactions."""
        day = self.day.isoformat()
        return f"{reverse('providers:admin_earnings')}?start={day}&end={day}"


def revenue_today(medspa: Medspa, *, now: datetime | None = None) -> RevenueToday:
    """The medspa's revenue of today (its day, in its time zone) and of the same weekday of the previous
    WEEKS weeks since its first sale."""
    day = clock.today(medspa, now=now or timezone.now())
    scope = earnings.Scope(medspa)
    first = earnings.first_sale_day(scope)
    earlier = [day - timedelta(weeks=weeks) for weeks in range(1, WEEKS + 1)]
    earlier = [past for past in earlier if first is not None and past >= first]
    revenue = earnings.revenue_by_day(scope, [day, *earlier])
    return RevenueToday(day, revenue[day], {past: revenue[past] for past in earlier})


def admin_today_context(request) -> dict:
    """The admin's Today section of revenue."""
    return {"revenue": revenue_today(request.medspa)}
