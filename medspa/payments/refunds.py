"""Refunds through Stripe (https://docs.stripe.com/api/refunds/create), full or partial, of one card
payment. The refund is reserved first (a `pending` row, under a lock of the payment, counted against what is
left), then asked of Stripe with its idempotency key, and `succeeded` only when Stripe accepts it: two
refunds at once can never give back more than was paid, and a retried click refunds once."""

from __future__ import annotations

from decimal import Decimal

import stripe
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from medspa.models import User
from medspa.models.payments import CardPayment, CardRefund
from medspa.money import ZERO, cents, money_format
from medspa.payments.client import PaymentError, StripeUnavailable, client, options, to_cents, translate


def card_refundable(payment: CardPayment) -> Decimal:
    """What is left to refund: the payment less its refunds that succeeded or are under way."""
    given = payment.refunds.exclude(status=CardRefund.Status.FAILED).aggregate(total=Sum("amount"))["total"]
    return payment.amount - (given or ZERO)


def _reserve(*, payment: CardPayment, amount: Decimal, reason: str, idempotency_key: str, by: User | None):
    with transaction.atomic():
        payment = CardPayment.objects.select_for_update().get(pk=payment.pk)
        existing = CardRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, payment
        if payment.status != CardPayment.Status.SUCCEEDED:
            raise PaymentError("Only a card payment that went through can be refunded.")
        amount = cents(amount)
        if amount <= 0:
            raise PaymentError("Refund more than $0.")
        left = card_refundable(payment)
        if amount > left:
            raise PaymentError(f"At most {money_format(left)} of this card payment is left to refund.")
        refund = CardRefund.objects.create(
            medspa_id=payment.medspa_id,
            payment=payment,
            amount=amount,
            reason=reason.strip()[:300] or "Refund",
            idempotency_key=idempotency_key,
            created_by=by,
        )
        return refund, payment


def card_refund(
    *, payment: CardPayment, amount: Decimal, reason: str, idempotency_key: str, by: User | None = None
) -> CardRefund:
    """Refunds `amount` of a card payment at Stripe. Returns the succeeded refund; raises PaymentError
    (refused: nothing refunded, the amount free again) or StripeUnavailable (kept pending: the same key
    later gets Stripe's one answer). Call it outside any transaction."""
    refund, payment = _reserve(
        payment=payment, amount=amount, reason=reason, idempotency_key=idempotency_key, by=by
    )
    if refund.status == CardRefund.Status.SUCCEEDED:
        return refund
    if refund.status == CardRefund.Status.FAILED:
        raise PaymentError(refund.failure_message or "Stripe refused this refund.")
    return refund_send(refund)


def refund_send(refund: CardRefund) -> CardRefund:
    payment = refund.payment
    try:
        made = client().v1.refunds.create(
            {
                "payment_intent": payment.payment_intent_id,
                "amount": to_cents(refund.amount),
                "metadata": {"card_refund": str(refund.pk), "medspa": str(refund.medspa_id)},
            },
            options(idempotency_key=refund.idempotency_key, account=payment.account_id),
        )
    except stripe.StripeError as error:
        failed = translate(error)
        if not isinstance(failed, StripeUnavailable):
            CardRefund.objects.filter(pk=refund.pk, status=CardRefund.Status.PENDING).update(
                status=CardRefund.Status.FAILED, failure_message=failed.message[:300]
            )
        raise failed from error
    return refund_apply(refund, made.to_dict())


def refund_apply(refund: CardRefund, data) -> CardRefund:
    """Keeps what Stripe says of a refund (its answer, or a charge.refunded event's refund)."""
    status = data["status"]
    with transaction.atomic():
        refund = CardRefund.objects.select_for_update().get(pk=refund.pk)
        refund.refund_id = data["id"]
        if status == "succeeded" and refund.status != CardRefund.Status.SUCCEEDED:
            refund.status, refund.succeeded_at = CardRefund.Status.SUCCEEDED, timezone.now()
        elif status in ("failed", "canceled"):
            refund.status = CardRefund.Status.FAILED
            refund.failure_message = (data.get("failure_reason") or "Stripe could not make the refund.")[:300]
        refund.save()
    if refund.status == CardRefund.Status.FAILED:
        raise PaymentError(refund.failure_message)
    return refund
