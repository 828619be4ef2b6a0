"""Stripe's events (https://docs.stripe.com/webhooks): verified with the official package's
`stripe.Webhook.construct_event` (the Stripe-Signature header's HMAC with the endpoint's secret, and its
timestamp no older than five minutes, so that a captured event cannot be replayed later), kept once per event
id, and processed once however often Stripe delivers them.

The core keeps its own rows right (payments, refunds, disputes, connected accounts); the apps above react
through FOLLOWERS: `(event type, the event's object, the CardPayment it is about or None)`, called in the
transaction that marks the event processed."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import stripe
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.celery import task_queue
from medspa.errors import DomainError
from medspa.models.payments import CardPayment, CardRefund, Dispute, StripeAccount, StripeEvent
from medspa.payments import charges, connect
from medspa.payments.client import PaymentError, from_cents
from medspa.registry import Registry

logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE = 300  # seconds: Stripe's own default

FOLLOWERS: Registry[Callable[[str, dict, CardPayment | None], None]] = Registry("Stripe event followers")


class EventRefused(DomainError):
    """Not an event Stripe signed for this endpoint (or too old to be believed)."""


def event_verify(*, payload: bytes, signature: str, secrets: list[str]) -> dict:
    """The event, if one of the endpoint's secrets signed it within the tolerance; else EventRefused."""
    for secret in [secret for secret in secrets if secret]:
        try:
            event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=SIGNATURE_TOLERANCE)
            return event.to_dict()
        except stripe.SignatureVerificationError:
            continue
        except ValueError as error:
            raise EventRefused("The body is not a Stripe event.") from error
    raise EventRefused("The Stripe-Signature header is missing, wrong or too old.")


def event_receive(event: dict) -> tuple[StripeEvent, bool]:
    """Keeps the event and processes it, once: (row, processed now). A redelivery counts and does nothing."""
    with scopes_disabled(), transaction.atomic():
        try:
            with transaction.atomic():
                row = StripeEvent.objects.create(
                    event_id=event["id"],
                    type=event["type"],
                    account_id=event.get("account") or "",
                    created=datetime.fromtimestamp(event["created"], tz=UTC),
                    payload=event,
                )
        except IntegrityError:
            StripeEvent.objects.filter(event_id=event["id"]).update(deliveries=F("deliveries") + 1)
            row = StripeEvent.objects.select_for_update().get(event_id=event["id"])
            if row.processed_at is not None:
                return row, False
        row = StripeEvent.objects.select_for_update().get(pk=row.pk)
        if row.processed_at is not None:
            return row, False
        _process(row)
        row.processed_at = timezone.now()
        row.save(update_fields=["processed_at"])
        return row, True


def _payment_of(data: dict) -> CardPayment | None:
    intent = data.get("payment_intent") if data.get("object") != "payment_intent" else data.get("id")
    if isinstance(intent, dict):
        intent = intent.get("id")
    found = CardPayment.objects.filter(payment_intent_id=intent).first() if intent else None
    if found is None and data.get("object") == "payment_intent":
        key = (data.get("metadata") or {}).get("card_payment")
        found = CardPayment.objects.filter(pk=key).first() if key and key.isdigit() else None
    if found is None and data.get("object") == "charge":
        found = CardPayment.objects.filter(charge_id=data.get("id")).first()
    if found is None and data.get("charge"):
        found = CardPayment.objects.filter(charge_id=data["charge"]).first()
    return found


def _process(row: StripeEvent) -> None:
    data = row.payload["data"]["object"]
    kind = row.type
    payment = _payment_of(data) if kind.startswith(("payment_intent.", "charge.")) else None
    if kind.startswith("payment_intent.") and payment is not None:
        was = payment.status
        with contextlib.suppress(PaymentError):  # a decline: the row says so now
            charges.payment_intent_apply(payment, data)
        payment.refresh_from_db()
        if was != CardPayment.Status.SUCCEEDED and payment.status == CardPayment.Status.SUCCEEDED:
            settled = payment  # Stripe told it before (or instead of) the answer to the request that asked
            transaction.on_commit(lambda: [follower(settled) for follower in charges.SETTLED_LATE])
    elif kind == "charge.refunded" and payment is not None:
        _refunds_apply(payment, data)
    elif kind.startswith("charge.dispute."):
        _dispute_apply(data, payment)
    elif kind == "payout.paid":
        # Which payments it paid out: Stripe lists them (medspa.payments.balance), after this commits.
        transaction.on_commit(
            partial(
                task_queue, "medspa.tasks.payout_record", row.account_id, data["id"], data.get("arrival_date")
            ),
            robust=True,
        )
    elif kind == "account.updated":
        account = StripeAccount.objects.filter(account_id=data.get("id")).first()
        if account is not None:
            connect.account_state_save(account, data)
    for follower in FOLLOWERS:
        follower(kind, data, payment)


def _refunds_apply(payment: CardPayment, charge: dict) -> None:
    """The charge's refunds as Stripe lists them: ours are marked succeeded; one made in Stripe's dashboard
    is recorded too, so that the books match Stripe's."""
    for data in (charge.get("refunds") or {}).get("data", []):
        refund = CardRefund.objects.filter(refund_id=data["id"]).first()
        if refund is None:
            key = (data.get("metadata") or {}).get("card_refund")
            refund = (
                CardRefund.objects.filter(pk=key, payment=payment).first() if key and key.isdigit() else None
            )
        if refund is None:
            refund = CardRefund.objects.create(
                medspa_id=payment.medspa_id,
                payment=payment,
                amount=from_cents(data["amount"]),
                reason="Refunded in Stripe",
                idempotency_key=f"stripe-{data['id']}",
                refund_id=data["id"],
            )
        if data.get("status") in ("succeeded", "pending") and refund.status != CardRefund.Status.SUCCEEDED:
            refund.status, refund.succeeded_at, refund.refund_id = (
                CardRefund.Status.SUCCEEDED,
                timezone.now(),
                data["id"],
            )
            refund.save(update_fields=["status", "succeeded_at", "refund_id"])


def _dispute_apply(data: dict, payment: CardPayment | None) -> None:
    due = (data.get("evidence_details") or {}).get("due_by")
    medspa_id = payment.medspa_id if payment is not None else None
    if medspa_id is None:
        logger.warning(
            "Dispute %s is about a charge the product did not make: %s", data["id"], data.get("charge")
        )
        return
    Dispute.objects.update_or_create(
        dispute_id=data["id"],
        defaults={
            "medspa_id": medspa_id,
            "payment": payment,
            "charge_id": data.get("charge") or "",
            "amount": from_cents(data.get("amount") or 0),
            "reason": (data.get("reason") or "")[:60],
            "status": (data.get("status") or "")[:30],
            "evidence_due_by": datetime.fromtimestamp(due, tz=UTC) if due else None,
        },
    )
