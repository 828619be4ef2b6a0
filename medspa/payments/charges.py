"""Charges through Stripe: a PaymentIntent confirmed at once with a card on file, off-session
(https://docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method), on the medspa's connected
account (a direct charge, `Stripe-Account`) or, for Portrait's bills, on the platform account.

The row (CardPayment) is written and committed before Stripe is called, with the idempotency key the call
carries: a double-click or a retried request finds the row (or Stripe replays its first answer for the key),
so Stripe charges once. The row is `succeeded` only when Stripe's answer or its signed event says so; a
decline marks it `failed` and raises CardDeclined; Stripe out of reach leaves it `pending`, and the same
key asked again later (the sweep, or the person's retry) gets Stripe's one answer.

Call these outside any transaction: the row must outlive a failure of what the caller does next (a charge
made and then forgotten by a rolled-back transaction is the one thing that must not happen)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.celery import task_queue
from medspa.models import Medspa, User
from medspa.models.payments import CardPayment, SavedCard
from medspa.payments.client import (
    CardDeclined,
    PaymentError,
    StripeUnavailable,
    client,
    decline_code,
    options,
    to_cents,
    translate,
)
from medspa.registry import Registry

PENDING_RECHECK_AFTER = timedelta(minutes=2)

# What follows a payment that Stripe settled after the request that asked for it had ended (Stripe out of
# reach then: the sweep below sent it again, or Stripe's event told): the app that asked decides what the
# money is for now (scheduling gives back the deposit of a booking that was not made). Called outside any
# transaction, with the succeeded payment.
SETTLED_LATE: Registry[Callable[[CardPayment], None]] = Registry("payments settled late")


def _row(
    *,
    medspa: Medspa,
    purpose: str,
    amount: Decimal,
    description: str,
    idempotency_key: str,
    card: SavedCard,
    by: User | None,
    metadata: dict,
) -> CardPayment:
    try:
        with transaction.atomic():
            return CardPayment.objects.create(
                medspa=medspa,
                purpose=purpose,
                account_id=card.customer.account_id,
                customer=card.customer,
                card=card,
                payment_method_id=card.payment_method_id,
                card_brand=card.brand,
                card_last4=card.last4,
                amount=amount,
                description=description[:300],
                idempotency_key=idempotency_key,
                metadata={name: str(value) for name, value in metadata.items()},
                created_by=by,
            )
    except IntegrityError:
        return CardPayment.objects.get(idempotency_key=idempotency_key)


def card_charge(
    *,
    medspa: Medspa,
    purpose: str,
    amount: Decimal,
    card: SavedCard,
    description: str,
    idempotency_key: str,
    by: User | None = None,
    metadata: dict | None = None,
) -> CardPayment:
    """Charges `amount` to a card on file. Returns the succeeded payment; raises CardDeclined (the row
    failed, nothing paid) or StripeUnavailable (the row pending, nothing known to be paid)."""
    if amount <= 0:
        raise PaymentError("Charge more than $0.")
    if card.removed_at is not None:
        raise PaymentError("That card is no longer on file.")
    payment = _row(
        medspa=medspa,
        purpose=purpose,
        amount=amount,
        description=description,
        idempotency_key=idempotency_key,
        card=card,
        by=by,
        metadata=metadata or {},
    )
    if payment.amount != amount or payment.purpose != purpose or payment.card_id != card.pk:
        raise PaymentError(
            "This payment was already asked for with other details: reload the page and try again."
        )
    if payment.status == CardPayment.Status.SUCCEEDED:
        return payment
    if payment.status == CardPayment.Status.FAILED:
        raise CardDeclined(payment.failure_message or "The card was declined.")
    return payment_intent_send(payment)


def payment_intent_send(payment: CardPayment) -> CardPayment:
    """Sends (or sends again: same key, same parameters, Stripe's same answer) the payment's PaymentIntent."""
    params = {
        "amount": to_cents(payment.amount),
        "currency": payment.currency,
        "customer": payment.customer.customer_id,
        "payment_method": payment.payment_method_id,
        "payment_method_types": ["card"],
        "confirm": True,
        "off_session": True,
        "metadata": {
            "card_payment": str(payment.pk),
            "medspa": str(payment.medspa_id),
            "purpose": payment.purpose,
            "description": payment.description[:500],
            **payment.metadata,
        },
    }
    try:
        intent = client().v1.payment_intents.create(
            params, options(idempotency_key=payment.idempotency_key, account=payment.account_id)
        )
    except stripe.CardError as error:
        failed = translate(error)
        intent_id = getattr(getattr(error.error, "payment_intent", None), "id", None) if error.error else None
        payment_failed(payment, code=decline_code(failed), message=failed.message, intent_id=intent_id)
        raise failed from error
    except stripe.StripeError as error:
        failed = translate(error)
        if not isinstance(failed, StripeUnavailable):
            payment_failed(payment, code="refused", message=failed.message)
        raise failed from error
    return payment_intent_apply(payment, intent.to_dict())


def payment_intent_apply(payment: CardPayment, intent) -> CardPayment:
    """Keeps what a PaymentIntent (Stripe's answer, or an event's object) says of the payment."""
    status = intent["status"]
    if status == "succeeded":
        return payment_succeeded(payment, intent_id=intent["id"], charge_id=_charge_id(intent))
    if status in ("requires_action", "requires_payment_method", "canceled"):
        error = intent.get("last_payment_error") or {}
        message = error.get("message") or (
            "The card's bank asks the cardholder to approve this payment, which cannot be done without them: "
            "take the card in person."
            if status == "requires_action"
            else "The card was declined."
        )
        payment_failed(payment, code=error.get("code") or status, message=message, intent_id=intent["id"])
        raise CardDeclined(message)
    # processing: Stripe's event will say how it ends
    if payment.payment_intent_id != intent["id"]:
        CardPayment.objects.filter(pk=payment.pk).update(
            payment_intent_id=intent["id"], updated_at=timezone.now()
        )
        payment.payment_intent_id = intent["id"]
    return payment


def _charge_id(intent) -> str:
    charge = intent.get("latest_charge")
    if isinstance(charge, str):
        return charge
    return (charge or {}).get("id", "") if charge else ""


def payment_succeeded(payment: CardPayment, *, intent_id: str, charge_id: str = "") -> CardPayment:
    with transaction.atomic():
        payment = CardPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != CardPayment.Status.SUCCEEDED:
            payment.status = CardPayment.Status.SUCCEEDED
            payment.payment_intent_id = intent_id
            payment.charge_id = charge_id or payment.charge_id
            payment.succeeded_at = timezone.now()
            payment.failure_code = payment.failure_message = ""
            payment.save()
            # Stripe's fee and net, from the charge's balance transaction (medspa.payments.balance).
            transaction.on_commit(
                partial(task_queue, "medspa.tasks.card_payment_fees_learn", payment.pk), robust=True
            )
    return payment


def payment_failed(
    payment: CardPayment, *, code: str, message: str, intent_id: str | None = None
) -> CardPayment:
    """Marks a payment declined, unless Stripe already said it succeeded (an event can overtake an answer)."""
    with transaction.atomic():
        payment = CardPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == CardPayment.Status.SUCCEEDED:
            return payment
        payment.status = CardPayment.Status.FAILED
        payment.failure_code, payment.failure_message = code[:60], message[:300]
        if intent_id:
            payment.payment_intent_id = intent_id
        payment.save()
    return payment


def pending_payments_resend(*, now: datetime | None = None) -> int:
    """Asks Stripe again, with the same key, about every payment left pending (Stripe was out of reach):
    Stripe replays its first answer, or makes the charge now if the first request never arrived. The count
    of payments settled either way."""
    now = now or timezone.now()
    settled = 0
    with scopes_disabled():
        waiting = list(
            CardPayment.objects.filter(
                status=CardPayment.Status.PENDING,
                payment_intent_id__isnull=True,
                created_at__lt=now - PENDING_RECHECK_AFTER,
            ).select_related("customer")[:100]
        )
        for payment in waiting:
            try:
                payment = payment_intent_send(payment)
            except StripeUnavailable:
                continue
            except PaymentError:
                pass
            settled += 1
            if payment.status == CardPayment.Status.SUCCEEDED:
                for follower in SETTLED_LATE:
                    follower(payment)
    return settled
