"""Earnings: reads of the money recorded at checkout, for the provider's own sales or the whole medspa.

Everything is summed in SQL from Sale, SaleLine, Payment and Refund rows, in a constant number of queries
whatever the number of rows. A sale counts in the period it was paid in (open and voided sales never
count); a refund counts in the period it was given in, even for a sale paid earlier. Months and days are
the medspa's, in its time zone. Amounts stay Decimal dollars end to end.

Net collected = Σ payments - Σ refunds, and it reconciles with the other figures:
net collected = revenue + tax (net of refunds) + tips (net of refunds), where revenue = subtotal - discount
- the refunds' revenue part. On Flex, Portrait's share = Σ sale shares - Σ refunds' Portrait parts, and the
medspa keeps revenue - Portrait's share. The list of the transactions themselves is
providers.selectors.earnings_transactions."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, TruncMonth

from medspa import clock
from medspa.models import Medspa, Membership
from medspa.models.tenancy import BusinessModel
from medspa.money import ZERO, money_format
from providers.models import Payment, PaymentMethod, Refund, Sale, SaleLine, SaleStatus
from providers.selectors.svg_chart import Bar, Series, bar_chart, legend

DEFAULT_MONTHS = 12
MAX_YEARS = 10
MONEY_FIELD = DecimalField(max_digits=12, decimal_places=2)


# --- Periods and scopes -------------------------------------------------------------------------------------


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of `day`'s month, `months_back` months earlier."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, on the wall clock of `tz`."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)

    def months(self) -> list[date]:
        """The first day of every month the period touches, oldest first."""
        first, last = month_start(self.start), month_start(self.end)
        count = (last.year - first.year) * 12 + last.month - first.month + 1
        return [month_start(last, months_back) for months_back in range(count - 1, -1, -1)]


def default_period(medspa: Medspa, *, today: date | None = None) -> Period:
    """The last 12 months, the current one included, up to today."""
    today = today or clock.today(medspa)
    return Period(month_start(today, DEFAULT_MONTHS - 1), today, medspa.tz)


@dataclass(frozen=True)
class Scope:
    """Whose earnings: the whole medspa's, or one provider's (the sales they made)."""

    medspa: Medspa
    provider: Membership | None = None


def paid_sales(scope: Scope, period: Period) -> QuerySet[Sale]:
    """The scope's sales paid in the period (never the open or voided ones)."""
    sales = Sale.objects.filter(
        medspa=scope.medspa, status=SaleStatus.PAID, paid_at__gte=period.since, paid_at__lt=period.until
    )
    return sales.filter(provider=scope.provider) if scope.provider is not None else sales


def refunds_given(scope: Scope, period: Period) -> QuerySet[Refund]:
    """The refunds given in the period of the scope's sales, whenever those were paid."""
    refunds = Refund.objects.filter(
        medspa=scope.medspa,
        sale__status=SaleStatus.PAID,
        refunded_at__gte=period.since,
        refunded_at__lt=period.until,
    )
    return refunds.filter(sale__provider=scope.provider) if scope.provider is not None else refunds


# --- Summary and months -------------------------------------------------------------------------------------


def _total(rows: Iterable[dict], key: str) -> Decimal:
    return sum((row[key] or ZERO for row in rows), ZERO)


class InDollars:
    """Figures a template shows in dollars: `row.usd.field`."""

    @property
    def usd(self) -> "Dollars":
        return Dollars(self)


class _Split(InDollars):
    """Figures with a revenue and Portrait's share of it (zero off Flex): the medspa keeps the rest."""

    @property
    def medspa_share(self) -> Decimal:
        return self.revenue - self.portrait_share


def _less(gross: str, refunded: str) -> property:
    """A figure net of refunds: the `gross` figure less the `refunded` one."""
    return property(lambda self: getattr(self, gross) - getattr(self, refunded), doc=f"{gross} - {refunded}")


@dataclass(frozen=True)
class Month(_Split):
    """One month of the chart: revenue net of refunds and, on Flex, its split."""

    month: date
    revenue: Decimal
    portrait_share: Decimal
    refunds: Decimal


@dataclass(frozen=True)
class Summary(_Split):
    """The period's figures. Gross figures are the sales'; the refunds' parts are taken off where named."""

    sale_count: int
    refund_count: int
    services: Decimal
    products: Decimal
    retail: Decimal
    fees: Decimal
    subtotal: Decimal
    discounts: Decimal
    tax: Decimal
    tips: Decimal
    payments: Decimal
    financing_paid: Decimal
    refunds: Decimal
    refunded_tax: Decimal
    refunded_tips: Decimal
    refunded_portrait: Decimal
    refunded_financing: Decimal
    portrait_gross: Decimal
    is_flex: bool
    months: list[Month] = field(default_factory=list)

    @property
    def transaction_count(self) -> int:
        return self.sale_count + self.refund_count

    @property
    def refunded_revenue(self) -> Decimal:
        return self.refunds - self.refunded_tax - self.refunded_tips

    @property
    def revenue(self) -> Decimal:
        return self.subtotal - self.discounts - self.refunded_revenue

    tax_net = _less("tax", "refunded_tax")
    tips_net = _less("tips", "refunded_tips")
    net_collected = _less("payments", "refunds")
    financing = _less("financing_paid", "refunded_financing")
    portrait_share = _less("portrait_gross", "refunded_portrait")


def summary(scope: Scope, period: Period) -> Summary:
    """The period's figures and its months, zeros included: four queries (sales and refunds by month,
    the lines by kind, the payments)."""
    sales, refunds = paid_sales(scope, period), refunds_given(scope, period)
    sale_months = _by_month(
        sales,
        "paid_at",
        period,
        count=Count("pk"),
        subtotals=Sum("subtotal"),
        discounts=Sum("discount"),
        taxes=Sum("tax"),
        tips=Sum("tip"),
        portrait=Sum("portrait_share"),
        percent=Max("portrait_percent"),
    )
    refund_months = _by_month(
        refunds,
        "refunded_at",
        period,
        count=Count("pk"),
        refunded=Sum("amount"),
        taxes=Sum("tax_part"),
        tips=Sum("tip_part"),
        portrait=Sum("portrait_part"),
        financing=Sum("amount", filter=Q(payment__method=PaymentMethod.FINANCING)),
    )
    lines = SaleLine.objects.filter(sale__in=sales.values("pk")).aggregate(
        services=Sum("amount", filter=Q(kind=SaleLine.Kind.SERVICE)),
        products=Sum("amount", filter=Q(kind=SaleLine.Kind.PRODUCT)),
        retail=Sum("amount", filter=Q(kind=SaleLine.Kind.RETAIL)),
        fees=Sum("amount", filter=Q(kind=SaleLine.Kind.FEE)),
    )
    paid = Payment.objects.filter(sale__in=sales.values("pk")).aggregate(
        total=Sum("amount"), financing=Sum("amount", filter=Q(method=PaymentMethod.FINANCING))
    )
    is_flex = (
        scope.medspa.business_model == BusinessModel.FLEX
        or any(row["percent"] for row in sale_months)
        or any(row["portrait"] for row in refund_months)
    )
    return Summary(
        sale_count=sum(row["count"] for row in sale_months),
        refund_count=sum(row["count"] for row in refund_months),
        services=lines["services"] or ZERO,
        products=lines["products"] or ZERO,
        retail=lines["retail"] or ZERO,
        fees=lines["fees"] or ZERO,
        subtotal=_total(sale_months, "subtotals"),
        discounts=_total(sale_months, "discounts"),
        tax=_total(sale_months, "taxes"),
        tips=_total(sale_months, "tips"),
        payments=paid["total"] or ZERO,
        financing_paid=paid["financing"] or ZERO,
        refunds=_total(refund_months, "refunded"),
        refunded_tax=_total(refund_months, "taxes"),
        refunded_tips=_total(refund_months, "tips"),
        refunded_portrait=_total(refund_months, "portrait"),
        refunded_financing=_total(refund_months, "financing"),
        portrait_gross=_total(sale_months, "portrait"),
        is_flex=is_flex,
        months=_months(period, sale_months, refund_months),
    )


def _by_month(rows: QuerySet, at: str, period: Period, **aggregates) -> list[dict]:
    """The `aggregates` of the rows by the month of their `at` time in the period's time zone, in order."""
    by_month = rows.annotate(month=TruncMonth(at, tzinfo=period.tz)).order_by("month").values("month")
    return list(by_month.annotate(**aggregates))


def _months(period: Period, sale_months: list[dict], refund_months: list[dict]) -> list[Month]:
    def by_month(rows: list[dict]) -> dict[date, dict]:
        return {row["month"].astimezone(period.tz).date(): row for row in rows}

    sold, refunded = by_month(sale_months), by_month(refund_months)
    months = []
    for first in period.months():
        sale, refund = sold.get(first), refunded.get(first)
        revenue = (sale["subtotals"] - sale["discounts"]) if sale else ZERO
        portrait = sale["portrait"] if sale else ZERO
        refunds = ZERO
        if refund:
            refunds = refund["refunded"]
            revenue -= refund["refunded"] - refund["taxes"] - refund["tips"]
            portrait -= refund["portrait"]
        months.append(Month(first, revenue, portrait, refunds))
    return months


def summary_is_flex(scope: Scope, period: Period) -> bool:
    """Whether the period's figures have a Portrait share (as summary().is_flex), in at most two queries."""
    return (
        scope.medspa.business_model == BusinessModel.FLEX
        or paid_sales(scope, period).filter(portrait_percent__gt=0).exists()
        or refunds_given(scope, period).filter(portrait_part__gt=0).exists()
    )


# --- Days ---------------------------------------------------------------------------------------------------


def revenue_by_day(scope: Scope, days: Iterable[date]) -> dict[date, Decimal]:
    """Each of `days`' revenue net of refunds, the medspa's days, counted as summary() counts a period's:
    the sales paid that day (subtotal - discount), less the revenue part of the refunds given that day.
    Two queries however many days."""
    periods = {day: Period(day, day, scope.medspa.tz) for day in sorted(set(days))}
    if not periods:
        return {}
    span = Period(min(periods), max(periods), scope.medspa.tz)

    def by_day(amount, at: str) -> dict:
        return {
            f"day_{number}": Sum(amount, filter=Q(**{f"{at}__gte": p.since, f"{at}__lt": p.until}))
            for number, p in enumerate(periods.values())
        }

    sold = paid_sales(scope, span).aggregate(**by_day(F("subtotal") - F("discount"), "paid_at"))
    refunded = refunds_given(scope, span).aggregate(
        **by_day(F("amount") - F("tax_part") - F("tip_part"), "refunded_at")
    )
    return {
        day: (sold[f"day_{number}"] or ZERO) - (refunded[f"day_{number}"] or ZERO)
        for number, day in enumerate(periods)
    }


def first_sale_day(scope: Scope) -> date | None:
    """The medspa's day the scope's first sale was paid on (None before any): where its history starts."""
    first = Sale.objects.filter(medspa=scope.medspa, status=SaleStatus.PAID)
    if scope.provider is not None:
        first = first.filter(provider=scope.provider)
    paid_at = first.aggregate(first=Min("paid_at"))["first"]
    return paid_at.astimezone(scope.medspa.tz).date() if paid_at is not None else None


# --- By provider --------------------------------------------------------------------------------------------


@dataclass
class ProviderRow(_Split):
    """One provider's part of the period."""

    provider_id: int
    name: str
    sale_count: int = 0
    revenue: Decimal = ZERO
    tips: Decimal = ZERO
    payments: Decimal = ZERO
    refunds: Decimal = ZERO
    portrait_share: Decimal = ZERO

    net_collected = _less("payments", "refunds")


def provider_name(prefix: str):
    full_name = NullIf(F(f"{prefix}__user__full_name"), Value(""))
    return Coalesce(full_name, F(f"{prefix}__user__email"), output_field=CharField())


def by_provider(scope: Scope, period: Period) -> list[ProviderRow]:
    """One row per provider with a sale or a refund in the period, by name: three queries."""
    sales, refunds = paid_sales(scope, period), refunds_given(scope, period)
    rows: dict[int, ProviderRow] = {}

    def row(provider_id: int, name: str) -> ProviderRow:
        return rows.setdefault(provider_id, ProviderRow(provider_id, name))

    for values in (
        sales.order_by()
        .values("provider")
        .annotate(
            name=provider_name("provider"),
            count=Count("pk"),
            subtotals=Sum("subtotal"),
            discounts=Sum("discount"),
            tips=Sum("tip"),
            portrait=Sum("portrait_share"),
        )
    ):
        target = row(values["provider"], values["name"])
        target.sale_count = values["count"]
        target.revenue += values["subtotals"] - values["discounts"]
        target.tips += values["tips"]
        target.portrait_share += values["portrait"]
    for values in (
        Payment.objects.filter(sale__in=sales.values("pk"))
        .order_by()
        .values("sale__provider")
        .annotate(name=provider_name("sale__provider"), paid=Sum("amount"))
    ):
        row(values["sale__provider"], values["name"]).payments += values["paid"]
    for values in (
        refunds.order_by()
        .values("sale__provider")
        .annotate(
            name=provider_name("sale__provider"),
            refunded=Sum("amount"),
            taxes=Sum("tax_part"),
            tips=Sum("tip_part"),
            portrait=Sum("portrait_part"),
        )
    ):
        target = row(values["sale__provider"], values["name"])
        target.refunds += values["refunded"]
        target.revenue -= values["refunded"] - values["taxes"] - values["tips"]
        target.tips -= values["tips"]
        target.portrait_share -= values["portrait"]
    return sorted(rows.values(), key=lambda target: (target.name.lower(), target.provider_id))


# --- Chart --------------------------------------------------------------------------------------------------

REVENUE = Series("Revenue", "chart-revenue", "#7a4e8a")
MEDSPA_SHARE = Series("Medspa's share", "chart-medspa", "#7a4e8a")
PORTRAIT_SHARE = Series("Portrait's share", "chart-portrait", "#d9a441")


def month_chart(summary: Summary, *, subject: str) -> dict:
    """The months' revenue (net of refunds) as an SVG bar chart, stacked medspa / Portrait share on Flex;
    `subject` names whose revenue it is. Returns the svg and its legend."""
    series = [MEDSPA_SHARE, PORTRAIT_SHARE] if summary.is_flex else [REVENUE]
    bars = []
    for index, month in enumerate(summary.months):
        title = f"{month.month:%B %Y}: revenue {usd(month.revenue)}"
        if summary.is_flex:
            title += f" (medspa {usd(month.medspa_share)}, Portrait {usd(month.portrait_share)})"
        if month.refunds:
            title += f", after {usd(month.refunds)} refunded"
        values = (month.medspa_share, month.portrait_share) if summary.is_flex else (month.revenue,)
        sublabel = f"{month.month:%Y}" if index == 0 or month.month.month == 1 else ""
        bars.append(Bar(f"{month.month:%b}", title, values, sublabel))
    first, last = summary.months[0].month, summary.months[-1].month
    description = (
        f"{subject} revenue month by month from {first:%B %Y} to {last:%B %Y}, net of refunds"
        + (", split between the medspa's share and Portrait's share." if summary.is_flex else ".")
        + " The same figures are in the table below the chart."
    )
    return {
        "svg": bar_chart(
            bars,
            series,
            title=f"{subject} revenue by month",
            description=description,
            id_prefix="earnings-chart",
        ),
        "legend": legend(series),
    }


# --- Display ------------------------------------------------------------------------------------------------


def usd(value: Decimal | None) -> str:
    """$1,234.50, −$12.00 (a true minus sign), or an em dash for no amount: the house's money format."""
    return money_format(value)


class Dollars:
    """`thing.usd.field` in a template: the field in dollars."""

    def __init__(self, thing):
        self.thing = thing

    def __getitem__(self, name: str) -> str:
        return usd(getattr(self.thing, name))
