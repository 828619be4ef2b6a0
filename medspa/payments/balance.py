"""What Stripe kept of each card payment, and when it reached the bank: the payment's balance transaction
(https://docs.stripe.com/api/balance_transactions) gives Stripe's fee and the net, and a payout's balance
transactions (`payout.paid`, https://docs.stripe.com/api/payouts) say which payments it paid out.

Both are learned after the fact, from Stripe's own records, and are idempotent: asking again writes the same
figures. Stripe out of reach leaves them unknown; the next payout of the payment, or the hourly sweep,
learns them later."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import stripe
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.models.payments import CardPayment
from medspa.payments.client import client, from_cents, options

logger = logging.getLogger(__name__)

PAGE = 100  # Stripe's largest page of a list
FEES_RECHECK_AFTER = timedelta(minutes=10)


def balance_transactions(*, account: str, **filters) -> Iterator[dict]:
    """Every balance transaction of `account` (empty: the platform's) that the filters of
    GET /v1/balance_transactions select, page after page (`starting_after`), newest first."""
    params: dict = {**filters, "limit": PAGE}
    while True:
        page = client().v1.balance_transactions.list(params, options(account=account))
        rows = [row.to_dict() for row in page.data]
        yield from rows
        if not page.has_more or not rows:
            return
        params["starting_after"] = rows[-1]["id"]


def _keep(payment_id: int, transaction_: dict, *, payout_id: str = "", paid_out_at=None) -> bool:
    """Writes a balance transaction's fee and net (and its payout, when given) on the payment."""
    figures = {
        "fee": from_cents(transaction_["fee"]),
        "net": from_cents(transaction_["net"]),
        "balance_transaction_id": transaction_["id"],
        "updated_at": timezone.now(),
    }
    if payout_id:
        figures.update(payout_id=payout_id, paid_out_at=paid_out_at)
    return bool(CardPayment.objects.filter(pk=payment_id).update(**figures))


def card_payment_fees_learn(*, payment_id: int) -> bool:
    """Learns Stripe's fee and net of a succeeded card payment from its charge's balance transaction
    (GET /v1/charges/{charge}, then GET /v1/balance_transactions/{id}, on the payment's account). True when
    known (now or before); False when Stripe could not tell yet (out of reach, or no transaction yet)."""
    with scopes_disabled():
        payment = CardPayment.objects.filter(pk=payment_id, status=CardPayment.Status.SUCCEEDED).first()
    if payment is None or not payment.charge_id:
        return False
    if payment.fee is not None and payment.balance_transaction_id:
        return True
    try:
        charge = client().v1.charges.retrieve(payment.charge_id, options=options(account=payment.account_id))
        found = charge.to_dict().get("balance_transaction")
        if not found:
            return False
        if not isinstance(found, str):
            found = found["id"]
        transaction_ = client().v1.balance_transactions.retrieve(
            found, options=options(account=payment.account_id)
        )
    except stripe.StripeError as error:
        logger.warning("Stripe's fee of card payment %s is not known yet: %s", payment_id, error)
        return False
    with scopes_disabled():
        return _keep(payment.pk, transaction_.to_dict())


def card_fees_sweep(*, now: datetime | None = None) -> int:
    """Learns the fees that are still unknown of payments that succeeded a while ago (Stripe was out of reach
    when they succeeded). The count learned."""
    now = now or timezone.now()
    with scopes_disabled():
        waiting = list(
            CardPayment.objects.filter(
                status=CardPayment.Status.SUCCEEDED,
                fee__isnull=True,
                succeeded_at__lt=now - FEES_RECHECK_AFTER,
            )
            .exclude(charge_id="")
            .values_list("pk", flat=True)[:200]
        )
    return sum(card_payment_fees_learn(payment_id=pk) for pk in waiting)


def payout_record(*, account: str, payout_id: str, arrived: int | None = None) -> int:
    """Marks the card payments that a payout paid out: its balance transactions
    (GET /v1/balance_transactions?payout=…, every page) whose source is a charge the product made, with the
    payout's id and its arrival, and their fees if still unknown. The count of payments marked. Raises
    stripe.StripeError when Stripe cannot list them (the task is then tried again)."""
    paid_out_at = datetime.fromtimestamp(arrived, tz=UTC) if arrived else timezone.now()
    by_charge = {
        row["source"]: row
        for row in balance_transactions(account=account, payout=payout_id)
        if isinstance(row.get("source"), str) and row["source"].startswith(("ch_", "py_"))
    }
    marked = 0
    with scopes_disabled(), transaction.atomic():
        payments = CardPayment.objects.filter(account_id=account, charge_id__in=list(by_charge))
        for pk, charge_id in payments.values_list("pk", "charge_id"):
            marked += _keep(pk, by_charge[charge_id], payout_id=payout_id, paid_out_at=paid_out_at)
    return marked
