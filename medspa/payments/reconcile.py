"""A month of card money, the product's books against Stripe's: the balance transactions of the medspa's
connected account created within the month (in the medspa's time zone) matched, by Stripe's ids, with the
card payments (charges) and refunds the product recorded, with the totals of both sides to the cent and every
row that does not match. Payouts move money to the bank and are not income: they are listed apart.

Also the reads of the medspa's card payments that the Earnings pages show (their fees, nets and payouts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import stripe
from django.db.models import Q, QuerySet, Sum

from medspa.models import Medspa
from medspa.models.payments import CardPayment, CardRefund, StripeAccount
from medspa.money import ZERO, money_format
from medspa.payments.balance import balance_transactions
from medspa.payments.client import PaymentError, from_cents, translate

CHARGE_TYPES = ("charge", "payment")
REFUND_TYPES = ("refund", "payment_refund")
PAYOUT_TYPES = ("payout", "payout_cancel", "payout_failure")


class NotConnected(PaymentError):
    def __init__(self, message: str = "This medspa has not connected its Stripe account."):
        super().__init__(message)


def month_bounds(medspa: Medspa, month: date) -> tuple[datetime, datetime]:
    """The first moment of the month and of the next one, on the medspa's wall clock."""
    first = datetime(month.year, month.month, 1, tzinfo=medspa.tz)
    index = month.year * 12 + month.month  # the next month, counted from year 0
    return first, datetime(index // 12, index % 12 + 1, 1, tzinfo=medspa.tz)


@dataclass(frozen=True)
class Totals:
    """Gross, Stripe's fees and net, in dollars: charges positive, refunds negative."""

    gross: Decimal = ZERO
    fees: Decimal = ZERO
    net: Decimal = ZERO

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.gross + other.gross, self.fees + other.fees, self.net + other.net)


@dataclass(frozen=True)
class Line:
    """One row of either side: a charge or a refund (or, at Stripe, another kind of transaction)."""

    kind: str
    stripe_id: str
    at: datetime | None
    figures: Totals
    purpose: str = ""


@dataclass(frozen=True)
class Mismatch:
    """A row that is on one side only, or whose figures differ: `problem` says which, in words."""

    stripe: Line | None
    here: Line | None
    problem: str


@dataclass
class Reconciliation:
    """The month's two sides and what does not match. Balanced when the totals agree to the cent and no row
    is left over."""

    month: date
    since: datetime
    until: datetime
    account_id: str
    stripe: Totals = field(default_factory=Totals)
    here: Totals = field(default_factory=Totals)
    matched: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    payouts: list[Line] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.stripe == self.here and not self.mismatches

    @property
    def difference(self) -> Totals:
        return Totals(
            self.stripe.gross - self.here.gross,
            self.stripe.fees - self.here.fees,
            self.stripe.net - self.here.net,
        )


def _stripe_line(row: dict, tz) -> Line:
    kind = (
        "charge" if row["type"] in CHARGE_TYPES else "refund" if row["type"] in REFUND_TYPES else row["type"]
    )
    return Line(
        kind=kind,
        stripe_id=row.get("source") or row["id"],
        at=datetime.fromtimestamp(row["created"], tz=tz),
        figures=Totals(from_cents(row["amount"]), from_cents(row["fee"]), from_cents(row["net"])),
    )


def _payment_line(payment: CardPayment, tz) -> Line:
    fee = payment.fee if payment.fee is not None else ZERO
    net = payment.net if payment.net is not None else payment.amount - fee
    return Line(
        kind="charge",
        stripe_id=payment.charge_id,
        at=payment.succeeded_at.astimezone(tz) if payment.succeeded_at else None,
        figures=Totals(payment.amount, fee, net),
        purpose=payment.get_purpose_display(),
    )


def _refund_line(refund: CardRefund, tz) -> Line:
    # Stripe keeps its fee of a refunded charge: a refund's balance transaction has no fee of its own.
    return Line(
        kind="refund",
        stripe_id=refund.refund_id or "",
        at=refund.succeeded_at.astimezone(tz) if refund.succeeded_at else None,
        figures=Totals(-refund.amount, ZERO, -refund.amount),
        purpose=refund.reason,
    )


def _differences(stripe: Line, here: Line, fee_known: bool) -> str:
    problems = []
    if stripe.figures.gross != here.figures.gross:
        problems.append(
            f"amount {money_format(stripe.figures.gross)} at Stripe, {money_format(here.figures.gross)} here"
        )
    if not fee_known:
        problems.append("Stripe's fee not learned here yet")
    elif stripe.figures.fees != here.figures.fees or stripe.figures.net != here.figures.net:
        problems.append(
            f"fee {money_format(stripe.figures.fees)} and net {money_format(stripe.figures.net)} at Stripe, "
            f"{money_format(here.figures.fees)} and {money_format(here.figures.net)} here"
        )
    return "; ".join(problems)


def stripe_month_reconcile(*, medspa: Medspa, month: date) -> Reconciliation:
    """The month's balance transactions at Stripe (every page) against the card payments and refunds
    recorded here, for the medspa's connected account. Raises NotConnected, or StripeUnavailable /
    PaymentError when Stripe cannot list them."""
    account = StripeAccount.objects.filter(medspa=medspa).first()
    if account is None:
        raise NotConnected()
    tz = medspa.tz
    since, until = month_bounds(medspa, month)
    result = Reconciliation(month=date(month.year, month.month, 1), since=since, until=until,
                            account_id=account.account_id)  # fmt: skip
    try:
        rows = list(
            balance_transactions(
                account=account.account_id,
                **{"created[gte]": int(since.timestamp()), "created[lt]": int(until.timestamp())},
            )
        )
    except stripe.StripeError as error:
        raise translate(error) from error

    payments = {
        payment.charge_id or f"no charge id: payment {payment.pk}": payment
        for payment in card_payments_paid(medspa=medspa, since=since, until=until).filter(
            account_id=account.account_id
        )
    }
    refunds = {
        refund.refund_id or f"no refund id: refund {refund.pk}": refund
        for refund in CardRefund.objects.filter(
            medspa=medspa,
            payment__account_id=account.account_id,
            status=CardRefund.Status.SUCCEEDED,
            succeeded_at__gte=since,
            succeeded_at__lt=until,
        )
    }
    elsewhere = _recorded_in_other_months(rows, set(payments) | set(refunds), tz)

    for row in sorted(rows, key=lambda row: (row["created"], row["id"])):
        line = _stripe_line(row, tz)
        if row["type"] in PAYOUT_TYPES:
            result.payouts.append(line)
            continue
        result.stripe += line.figures
        payment = payments.pop(line.stripe_id, None) if line.kind == "charge" else None
        refund = refunds.pop(line.stripe_id, None) if line.kind == "refund" else None
        if payment is None and refund is None:
            where = elsewhere.get(line.stripe_id)
            result.mismatches.append(
                Mismatch(line, None, f"recorded here on {where:%b %-d, %Y}, in another month" if where
                         else "at Stripe, not recorded here")
            )  # fmt: skip
            continue
        here = _payment_line(payment, tz) if payment is not None else _refund_line(refund, tz)
        result.here += here.figures
        problem = _differences(line, here, fee_known=payment is None or payment.fee is not None)
        if problem:
            result.mismatches.append(Mismatch(line, here, problem))
        else:
            result.matched += 1
    for key, payment in payments.items():
        here = _payment_line(payment, tz)
        result.here += here.figures
        result.mismatches.append(Mismatch(None, here, f"recorded here, not at Stripe this month ({key})"))
    for key, refund in refunds.items():
        here = _refund_line(refund, tz)
        result.here += here.figures
        result.mismatches.append(Mismatch(None, here, f"recorded here, not at Stripe this month ({key})"))
    return result


def _recorded_in_other_months(rows: list[dict], known: set[str], tz) -> dict[str, datetime]:
    """When the product recorded the Stripe rows that are not among the month's here (two queries)."""
    ids = {row.get("source") for row in rows} - known - {None}
    found = {
        charge_id: at.astimezone(tz)
        for charge_id, at in CardPayment.objects.filter(
            charge_id__in=ids, status=CardPayment.Status.SUCCEEDED
        ).values_list("charge_id", "succeeded_at")
    }
    found |= {
        refund_id: at.astimezone(tz)
        for refund_id, at in CardRefund.objects.filter(
            refund_id__in=ids, status=CardRefund.Status.SUCCEEDED
        ).values_list("refund_id", "succeeded_at")
    }
    return found


# --- Reads for the Earnings pages ---------------------------------------------------------------------------


def card_payments_paid(*, medspa: Medspa, since: datetime, until: datetime) -> QuerySet[CardPayment]:
    """The medspa's card payments on its own Stripe account (not its Portrait bills) that succeeded in the
    period, newest first."""
    return (
        CardPayment.objects.filter(
            medspa=medspa,
            status=CardPayment.Status.SUCCEEDED,
            succeeded_at__gte=since,
            succeeded_at__lt=until,
        )
        .exclude(account_id="")
        .order_by("-succeeded_at", "-pk")
    )


def stripe_fees_total(*, medspa: Medspa, since: datetime, until: datetime) -> Decimal:
    """Stripe's fees on the medspa's card payments that succeeded in the period (those learned so far)."""
    total = card_payments_paid(medspa=medspa, since=since, until=until).aggregate(
        fees=Sum("fee", filter=Q(fee__isnull=False))
    )["fees"]
    return total or ZERO
