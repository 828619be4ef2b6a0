"""Disputes (chargebacks) as the Medspa Admin reads them on the dashboard's To-Do: the open ones, Stripe's
reason code in words (https://docs.stripe.com/disputes/categories), the evidence due date, and where to
answer (the payment in Stripe's dashboard, where evidence is submitted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from medspa.models import Medspa
from medspa.models.payments import Dispute

OPEN_STATUSES = ("warning_needs_response", "needs_response", "under_review", "warning_under_review")
NEEDS_RESPONSE = ("warning_needs_response", "needs_response")

REASONS = {
    "bank_cannot_process": "The card's bank could not process the payment",
    "check_returned": "The check was returned",
    "credit_not_processed": "The patient says a promised refund or credit was not given",
    "customer_initiated": "The patient asked their bank to reverse it",
    "debit_not_authorized": "The patient says they did not authorize the debit",
    "duplicate": "The patient says they were charged twice",
    "fraudulent": "The cardholder says they did not make this payment",
    "general": "No particular reason given by the bank",
    "incorrect_account_details": "The account details were wrong",
    "insufficient_funds": "Insufficient funds",
    "product_not_received": "The patient says they did not receive the service or product",
    "product_unacceptable": "The patient says the service or product was not as described",
    "subscription_canceled": "The patient says they had canceled",
    "unrecognized": "The patient does not recognize the payment",
}


def reason_in_words(code: str) -> str:
    return REASONS.get(code, code.replace("_", " ").capitalize() or "No reason given")


def respond_url(dispute: Dispute) -> str:
    """The payment in Stripe's dashboard, where the medspa answers the dispute; empty off Stripe itself (the
    local server has no dashboard)."""
    payment = dispute.payment
    intent = payment.payment_intent_id if payment is not None else ""
    if not intent or not settings.STRIPE_API_URL.startswith("https://api.stripe.com"):
        return ""
    test = "test/" if settings.STRIPE_SECRET_KEY.startswith(("sk_test_", "rk_test_")) else ""
    return f"https://dashboard.stripe.com/{test}payments/{intent}"


@dataclass(frozen=True)
class OpenDispute:
    """One line of the To-Do."""

    dispute_id: str
    amount: Decimal
    reason: str
    needs_response: bool
    evidence_due_by: datetime | None
    paid_at: datetime | None
    respond_url: str


def disputes_open(*, medspa: Medspa) -> list[OpenDispute]:
    """The medspa's disputes still open, the soonest evidence due first (one query)."""
    rows = (
        Dispute.objects.filter(Q(medspa=medspa) & Q(status__in=OPEN_STATUSES))
        .select_related("payment")
        .order_by("evidence_due_by", "created_at")
    )
    tz = medspa.tz
    return [
        OpenDispute(
            dispute_id=row.dispute_id,
            amount=row.amount,
            reason=reason_in_words(row.reason),
            needs_response=row.status in NEEDS_RESPONSE,
            evidence_due_by=_local(row.evidence_due_by, tz),
            paid_at=_local(row.payment.succeeded_at if row.payment else None, tz),
            respond_url=respond_url(row),
        )
        for row in rows
    ]


def _local(moment: datetime | None, tz) -> datetime | None:
    return moment.astimezone(tz) if moment else None
