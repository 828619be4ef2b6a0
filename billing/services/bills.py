"""Bills. Partial months follow PRORATION_RULE, which the billing page shows as it is written."""

import calendar
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils.formats import date_format

from billing.models import Bill, BillLine, PlanPeriod
from billing.services import fees
from billing.services.plans import plan_periods
from gfe.models import GfeRequest
from medspa import clock
from medspa.errors import DomainError
from medspa.models import Medspa
from medspa.money import ZERO, cents
from medspa.selectors.accounts import medspa_shipping_address_lines
from providers.selectors import earnings

logger = logging.getLogger(__name__)


PRORATION_RULE = (
    "Partial months: the coordinator's monthly fee is split by calendar days. A day is billed at the plan "
    "the medspa was on that day (its own time zone), the day a change takes effect included. A Legacy "
    "medspa moving to Launch on November 16 pays the full $1,000 for November if it keeps the coordinator "
    "(Legacy days and Launch days alike carry it) and 15/30 of it, $500.00, if it lets the coordinator go. "
    "A Launch medspa that adds a coordinator on November 16, or lets its coordinator go from November 16 "
    "(its first day without), pays 15/30 of it: $500.00. Each line is rounded half up to the cent."
)


# A month with no line (a Launch medspa without a coordinator and no urgent GFE request) still gets its bill,
# for $0.00: the month is on record as billed, and the monthly job does not come back to it.
NOTHING_TO_BILL = (
    "Nothing to bill this month. Portrait bills the Patient Care Coordinator's days, urgent GFE requests and,"
    " on Flex, Portrait's revenue share of the sales, and this month had none of them. Launch pays Portrait "
    "through its inventory prices, with no monthly fee."
)


CATCH_UP_MONTHS = 12  # how far back the monthly job fills in a month that was missed


@dataclass(frozen=True)
class LineDraft:
    kind: str
    description: str
    amount: Decimal
    quantity: int = 1


@dataclass(frozen=True)
class Segment:
    """Days of one month on one plan."""

    first: date
    last: date
    business_model: str
    keeps_coordinator: bool

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def month_last(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _segments(periods: list[PlanPeriod], month: date) -> list[Segment]:
    first_day, last_day = month, month_last(month)
    segments = []
    for period in periods:
        first = max(first_day, period.starts_on)
        last = min(last_day, period.ends_on or last_day)
        if first <= last:
            segments.append(Segment(first, last, period.business_model, period.keeps_coordinator))
    return segments


def _prorated(monthly: Decimal, days: int, month_days: int) -> Decimal:
    return cents(monthly * days / month_days)


def _span(first: date, last: date, month: date) -> str:
    month_days = month_last(month).day
    days = (last - first).days + 1
    if days == month_days:
        return date_format(month, "F Y")
    return f"{date_format(first, 'M j')}–{date_format(last, 'M j, Y')} ({days} of {month_days} days)"


def _merged(segments: list[Segment], key) -> list[tuple[object, date, date, int]]:
    """Adjacent segments with the same key joined: [(key, first, last, days)]."""
    merged: list[list] = []
    for segment in segments:
        value = key(segment)
        if merged and merged[-1][0] == value and merged[-1][2] + timedelta(days=1) == segment.first:
            merged[-1][2] = segment.last
            merged[-1][3] += segment.days
        else:
            merged.append([value, segment.first, segment.last, segment.days])
    return [tuple(row) for row in merged]


def bill_lines(medspa: Medspa, month: date) -> list[LineDraft]:
    """What `month` (its first day) costs the medspa, line by line; zero lines left out: the coordinator,
    the urgent GFE requests and Flex's revenue share. No platform fee: Launch pays through inventory prices.
    A month with none of them has no line (its bill is $0.00, "Nothing to bill")."""
    segments = _segments(plan_periods(medspa), month)
    month_days = month_last(month).day
    lines: list[LineDraft] = []
    billed = lambda s: fees.coordinator_billed(s.business_model, s.keeps_coordinator)  # noqa: E731
    for with_coordinator, first, last, days in _merged(segments, billed):
        if with_coordinator:
            amount = _prorated(fees.coordinator_fee(), days, month_days)
            lines.append(
                LineDraft(
                    BillLine.Kind.COORDINATOR_FEE,
                    f"Patient Care Coordinator, {_span(first, last, month)}",
                    amount,
                )
            )
    period = earnings.Period(month, month_last(month), medspa.tz)
    urgent = GfeRequest.objects.filter(
        medspa=medspa,
        urgent=True,
        urgent_fee__gt=0,
        created_at__gte=period.since,
        created_at__lt=period.until,
    ).aggregate(count=Count("pk"), total=Sum("urgent_fee"))
    if urgent["count"]:
        lines.append(
            LineDraft(
                BillLine.Kind.URGENT_GFE,
                f"Urgent GFE requests, {date_format(month, 'F Y')}",
                urgent["total"],
                quantity=urgent["count"],
            )
        )
    share = earnings.summary(earnings.Scope(medspa), period).portrait_share
    if share > ZERO:
        lines.append(
            LineDraft(
                BillLine.Kind.FLEX_SHARE,
                f"Flex revenue share: Portrait's share of sales paid in {date_format(month, 'F Y')}, "
                "less refunds",
                share,
            )
        )
    return lines


class MonthNotOver(DomainError):
    """A month is billed once it is over on the medspa's clock."""


def bill_number(medspa: Medspa, month: date) -> str:
    return f"{month:%Y%m}-{medspa.pk:05d}"


def bill_generate(*, medspa: Medspa, month: date) -> tuple[Bill, bool]:
    """The medspa's bill for `month` (any day of it), made if it is not there yet: (bill, made now).
    Idempotent under concurrency: the unique (medspa, month) makes one bill; a second run finds it."""
    month = earnings.month_start(month)
    today = clock.today(medspa)
    if month >= earnings.month_start(today):
        raise MonthNotOver(f"{date_format(month, 'F Y')} is not over yet for {medspa.name}.")
    existing = Bill.objects.filter(medspa=medspa, month=month).first()
    if existing is not None:
        return existing, False
    drafts = bill_lines(medspa, month)
    try:
        with transaction.atomic():
            bill = Bill.objects.create(
                medspa=medspa,
                month=month,
                number=bill_number(medspa, month),
                total=sum((draft.amount for draft in drafts), ZERO),
                business_name=medspa.name,
                business_dba=medspa.dba if medspa.dba != medspa.name else "",
                shipping_address="\n".join(medspa_shipping_address_lines(medspa)),
            )
            BillLine.objects.bulk_create(
                BillLine(
                    medspa=medspa,
                    bill=bill,
                    position=index,
                    kind=draft.kind,
                    description=draft.description,
                    quantity=draft.quantity,
                    amount=draft.amount,
                )
                for index, draft in enumerate(drafts, start=1)
            )
    except IntegrityError:
        return Bill.objects.get(medspa=medspa, month=month), False
    logger.info("Bill %s made for %s: %s", bill.number, medspa.slug, bill.total)
    return bill, True


def months_to_bill(medspa: Medspa, *, today: date | None = None) -> list[date]:
    """The months that are over (on the medspa's clock), since its first plan, up to CATCH_UP_MONTHS back,
    that have no bill yet: normally just last month."""
    today = today or clock.today(medspa)
    this_month = earnings.month_start(today)
    first = max(
        earnings.month_start(plan_periods(medspa)[0].starts_on), earnings.month_start(today, CATCH_UP_MONTHS)
    )
    billed = set(Bill.objects.filter(medspa=medspa, month__gte=first).values_list("month", flat=True))
    months, month = [], first
    while month < this_month:
        if month not in billed:
            months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months
