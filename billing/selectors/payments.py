"""Whether a bill is paid, read from its charge attempts (bills themselves never change): paid, due,
processing, retrying (with the date of the next attempt) or past due, with the amount and what the medspa
can do about it. The schedule is billing.services.payments'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from billing.models import Bill, BillCharge
from medspa import clock
from medspa.models.payments import SavedCard

# Declined cards are tried again this many days after the first automatic attempt declined; after the last
# of them the bill is past due (and only the medspa's Pay now charges it).
RETRY_DAYS = (3, 5, 7)
# A bill that could not be charged at all (no card on file) is past due this many days after it was made.
NO_CARD_GRACE_DAYS = 7
# The schedule in words, for the pages: "3, 5 and 7 days".
RETRY_WORDS = f"{', '.join(str(days) for days in RETRY_DAYS[:-1])} and {RETRY_DAYS[-1]} days"

NOTHING_DUE, DUE, PROCESSING, RETRYING, PAST_DUE, PAID = (
    "nothing_due",
    "due",
    "processing",
    "retrying",
    "past_due",
    "paid",
)
LABELS = {
    NOTHING_DUE: "Nothing to pay",
    DUE: "Due",
    PROCESSING: "Payment processing",
    RETRYING: "Retrying",
    PAST_DUE: "Past due",
    PAID: "Paid",
}
AUTOMATIC = (BillCharge.Trigger.FIRST, BillCharge.Trigger.RETRY)


@dataclass(frozen=True)
class PaymentState:
    """Where one bill's payment stands. `attempts` oldest first; `card` the medspa's card on file now."""

    code: str
    amount: Decimal
    attempts: tuple[BillCharge, ...]
    card: SavedCard | None
    next_attempt_on: date | None = None  # retrying: the day of the next automatic attempt
    past_due_since: date | None = None
    past_due_on: date | None = None  # due, never charged: the day it becomes past due
    paid_on: date | None = None

    @property
    def label(self) -> str:
        return LABELS[self.code]

    @property
    def paid(self) -> BillCharge | None:
        return next((a for a in self.attempts if a.status == BillCharge.Status.SUCCEEDED), None)

    @property
    def last(self) -> BillCharge | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def declined(self) -> BillCharge | None:
        """The last attempt, when it was declined."""
        last = self.last
        return last if last is not None and last.status == BillCharge.Status.FAILED else None

    @property
    def unpaid(self) -> bool:
        return self.code in (DUE, RETRYING, PAST_DUE)

    @property
    def can_pay_now(self) -> bool:
        """The medspa's admin may charge the card on file at once."""
        return self.unpaid and self.card is not None

    @property
    def summary(self) -> str:
        """One line for the bill's page and PDF: "Paid on December 1, 2026 with Visa ending 4242"."""
        if self.code == PAID:
            return f"Paid on {_day(self.paid_on)} with {self.paid.card}"
        if self.code == PAST_DUE:
            return f"Past due since {_day(self.past_due_since)}"
        if self.code == RETRYING:
            return f"Card declined: next attempt on {_day(self.next_attempt_on)}"
        if self.code == DUE and self.card is None:
            return "Due: no card on file"
        return self.label

    @property
    def card_replaced(self) -> bool:
        """A card is on file that the last attempt did not decline (added or replaced since)."""
        declined = self.declined
        return self.card is not None and (declined is None or self.card.pk != declined.card_id)


def _day(day: date) -> str:
    return date_format(day, "F j, Y")


def bill_payment_state(
    bill: Bill, attempts, *, card: SavedCard | None, now: datetime | None = None
) -> PaymentState:
    """The payment state of `bill` from its attempts (any order) and the medspa's card on file."""
    now = now or timezone.now()
    attempts = tuple(sorted(attempts, key=lambda attempt: attempt.attempt))
    medspa = bill.medspa
    state = {"amount": bill.total, "attempts": attempts, "card": card}
    if bill.total <= 0:
        return PaymentState(NOTHING_DUE, **state)
    paid = next((a for a in attempts if a.status == BillCharge.Status.SUCCEEDED), None)
    if paid is not None:
        return PaymentState(PAID, paid_on=clock.local(paid.settled_at, medspa).date(), **state)
    if any(a.status == BillCharge.Status.PENDING for a in attempts):
        return PaymentState(PROCESSING, **state)
    automatic = [a for a in attempts if a.trigger in AUTOMATIC]
    if automatic:
        first = clock.local(automatic[0].attempted_at, medspa).date()
        retries = sum(1 for a in automatic if a.trigger == BillCharge.Trigger.RETRY)
        if retries < len(RETRY_DAYS):
            return PaymentState(
                RETRYING, next_attempt_on=first + timedelta(days=RETRY_DAYS[retries]), **state
            )
        since = clock.local(automatic[-1].settled_at or automatic[-1].attempted_at, medspa).date()
        return PaymentState(PAST_DUE, past_due_since=since, **state)
    deadline = bill.generated_at + timedelta(days=NO_CARD_GRACE_DAYS)
    if now >= deadline:
        return PaymentState(PAST_DUE, past_due_since=clock.local(deadline, medspa).date(), **state)
    return PaymentState(DUE, past_due_on=clock.local(deadline, medspa).date(), **state)


def medspa_cards(medspa_ids) -> dict[int, SavedCard]:
    """The card on file with Portrait of each medspa that has one (one query)."""
    found = SavedCard.objects.filter(
        medspa_id__in=set(medspa_ids), customer__patient__isnull=True, removed_at__isnull=True
    ).select_related("customer")
    return {card.medspa_id: card for card in found}


def bill_payment_states(bills: list[Bill], *, now: datetime | None = None) -> dict[int, PaymentState]:
    """The payment state of each bill (bill pk → state), in two queries: the attempts and the cards."""
    if not bills:
        return {}
    attempts: dict[int, list[BillCharge]] = {bill.pk: [] for bill in bills}
    for attempt in BillCharge.objects.filter(bill__in=[bill.pk for bill in bills]).select_related(
        "card", "created_by"
    ):
        attempts[attempt.bill_id].append(attempt)
    cards = medspa_cards(bill.medspa_id for bill in bills)
    return {
        bill.pk: bill_payment_state(bill, attempts[bill.pk], card=cards.get(bill.medspa_id), now=now)
        for bill in bills
    }


def _attempts(**where) -> QuerySet:
    return BillCharge.objects.filter(bill=OuterRef("pk"), **where)


def past_due(bills: QuerySet, *, now: datetime | None = None) -> QuerySet:
    """The bills of `bills` that are past due, in SQL (for filters): unpaid, nothing waiting for Stripe, and
    every scheduled retry declined, or never charged (no card) NO_CARD_GRACE_DAYS after the bill was made.
    The same rule as bill_payment_state."""
    now = now or timezone.now()
    retries_declined = Subquery(
        _attempts(trigger=BillCharge.Trigger.RETRY, status=BillCharge.Status.FAILED)
        .order_by()
        .values("bill")
        .annotate(count=Count("pk"))
        .values("count"),
        output_field=IntegerField(),
    )
    return (
        bills.filter(total__gt=0)
        .exclude(Exists(_attempts(status__in=[BillCharge.Status.SUCCEEDED, BillCharge.Status.PENDING])))
        .alias(retries_declined=Coalesce(retries_declined, Value(0)))
        .filter(
            Q(retries_declined__gte=len(RETRY_DAYS))
            | (
                ~Exists(_attempts(trigger__in=AUTOMATIC))
                & Q(generated_at__lte=now - timedelta(days=NO_CARD_GRACE_DAYS))
            )
        )
    )


def unpaid(bills: QuerySet) -> QuerySet:
    """The bills of `bills` with something to pay and no succeeded attempt."""
    return bills.filter(total__gt=0).exclude(Exists(_attempts(status=BillCharge.Status.SUCCEEDED)))
