"""Charging Portrait's bills to the medspa's card on file with Portrait (Portrait's own Stripe account),
retrying a declined card on a schedule (billing.selectors.payments.RETRY_DAYS), Pay now for the medspa's
admin, and the receipt to its admins once a bill is paid.

Each attempt is claimed (its row committed, under the bill's lock) before Stripe is called, with a key of
its own (`bill-<bill>-attempt-<n>`): a second worker finds the attempt claimed and charges nothing, and an
attempt asked again later gets Stripe's one answer for its key. Call these outside any transaction, as the
core's card_charge asks."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from billing.models import Bill, BillCharge
from billing.selectors import payments as bill_payments
from medspa import clock, once
from medspa.celery import task_queue
from medspa.errors import DomainError
from medspa.models import User
from medspa.models.payments import CardPayment, SavedCard
from medspa.payments import cards, charges
from medspa.payments.client import PaymentError, StripeUnavailable, configured

logger = logging.getLogger(__name__)

# An attempt waiting for Stripe longer than this (a worker that died mid-call, Stripe out of reach) is asked
# again with its own key; a younger one is another worker's, still talking to Stripe.
ATTEMPT_LEASE = timedelta(minutes=5)


KEY = re.compile(r"bill-(?P<bill>\d+)-attempt-(?P<attempt>\d+)")  # BillCharge.idempotency_key


class BillNotPayable(DomainError):
    """Pay now refused: the bill is paid, has nothing to pay, is being charged, or there is no card."""

    status_code = 409


def _claim(bill: Bill, *, pay_now: bool, by: User | None, now: datetime) -> BillCharge | None:
    """The attempt to make now, claimed (committed) under the bill's lock, or a stale pending one to ask
    again; None when nothing is due. Pay now raises BillNotPayable instead of None."""
    with transaction.atomic():
        bill = Bill.objects.select_for_update().select_related("medspa").get(pk=bill.pk)
        attempts = list(BillCharge.objects.filter(bill=bill).select_related("card"))
        card = cards.medspa_card(bill.medspa)
        state = bill_payments.bill_payment_state(bill, attempts, card=card, now=now)
        if state.code == bill_payments.PROCESSING:
            pending = next(a for a in attempts if a.status == BillCharge.Status.PENDING)
            if now - pending.attempted_at >= ATTEMPT_LEASE:
                return pending
            if pay_now:
                raise BillNotPayable("This bill is being charged right now: reload the page in a minute.")
            return None
        if pay_now:
            if state.code == bill_payments.PAID:
                raise BillNotPayable("This bill is already paid.")
            if not state.unpaid:
                raise BillNotPayable("This bill has nothing to pay.")
            if card is None:
                raise BillNotPayable(
                    "There is no card on file to pay Portrait's bills: add one in Account settings → "
                    "Payments."
                )
            trigger = BillCharge.Trigger.PAY_NOW
        elif card is None:
            return None
        elif state.code == bill_payments.DUE:
            trigger = BillCharge.Trigger.FIRST
        elif state.code == bill_payments.RETRYING and state.next_attempt_on <= clock.today(
            bill.medspa, now=now
        ):
            trigger = BillCharge.Trigger.RETRY
        else:
            return None
        return BillCharge.objects.create(
            medspa=bill.medspa,
            bill=bill,
            attempt=(state.last.attempt if state.last else 0) + 1,
            trigger=trigger,
            card=card,
            amount=bill.total,
            attempted_at=now,
            created_by=by,
        )


def _charge(attempt: BillCharge) -> BillCharge:
    """Charges the attempt's card with the attempt's key (or asks Stripe again about a pending one) and
    records how it ended."""
    bill = attempt.bill
    key = attempt.idempotency_key
    metadata = {"bill": bill.pk, "bill_number": bill.number, "attempt": attempt.attempt}
    payment = CardPayment.objects.filter(idempotency_key=key).first()
    try:
        if payment is None:
            payment = charges.card_charge(
                medspa=bill.medspa,
                purpose=CardPayment.Purpose.PORTRAIT_BILL,
                amount=attempt.amount,
                card=attempt.card,
                description=f"Portrait bill {bill.number} ({date_format(bill.month, 'F Y')})",
                idempotency_key=key,
                by=attempt.created_by,
                metadata=metadata,
            )
        elif payment.status == CardPayment.Status.PENDING:
            payment = charges.payment_intent_send(payment)
    except StripeUnavailable:
        logger.warning("Stripe unavailable charging bill %s (attempt %s)", bill.number, attempt.attempt)
        payment = CardPayment.objects.filter(idempotency_key=key).first()
        return attempt_record(attempt, payment=payment)
    except PaymentError as error:
        payment = CardPayment.objects.filter(idempotency_key=key).first()
        return attempt_record(attempt, payment=payment, error=error.message)
    return attempt_record(attempt, payment=payment)


def attempt_record(attempt: BillCharge, *, payment: CardPayment | None, error: str = "") -> BillCharge:
    """Keeps how an attempt ended, from its card payment (succeeded, declined, still waiting) or the error
    that refused it before any payment; a paid bill's receipt is owed from then, queued after the commit."""
    with transaction.atomic():
        attempt = BillCharge.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status != BillCharge.Status.PENDING:
            return attempt
        if payment is not None:
            attempt.card_payment = payment
        status = payment.status if payment is not None else CardPayment.Status.FAILED
        if status == CardPayment.Status.SUCCEEDED:
            attempt.status, attempt.settled_at, attempt.error = (
                BillCharge.Status.SUCCEEDED,
                payment.succeeded_at,
                "",
            )
            attempt.receipt_next_attempt_at = RECEIPTS.queued()[RECEIPTS.next_attempt_at]
        elif status == CardPayment.Status.FAILED:
            attempt.status, attempt.settled_at = BillCharge.Status.FAILED, timezone.now()
            attempt.error = (
                error or (payment.failure_message if payment else "") or "The card was declined."
            )[:300]
        attempt.save()
        if attempt.status == BillCharge.Status.SUCCEEDED:
            medspa_id, pk = attempt.medspa_id, attempt.pk
            transaction.on_commit(lambda: task_queue("billing.tasks.bill_receipt_send", pk, medspa_id))
    logger.info("Bill %s attempt %s: %s", attempt.bill_id, attempt.attempt, attempt.status)
    return attempt


def bill_charge(*, bill: Bill, now: datetime | None = None) -> BillCharge | None:
    """Charges the bill to the medspa's card on file when an automatic attempt is due: the first (the bill
    just made, or a card added since), a scheduled retry after a decline, or an attempt left waiting for
    Stripe. Returns the attempt, or None when none is due (paid, nothing to pay, no card, not yet time, past
    due, or another worker's attempt under way). Safe to run twice at once: one charge."""
    if not configured():
        return None
    attempt = _claim(bill, pay_now=False, by=None, now=now or timezone.now())
    return _charge(attempt) if attempt is not None else None


def bill_pay_now(*, bill: Bill, by: User) -> BillCharge:
    """The medspa's admin pays an unpaid bill at once with the card on file (after adding or replacing it,
    typically while it is past due). Returns the attempt (succeeded, declined, or still waiting for Stripe);
    raises BillNotPayable when there is nothing to charge."""
    if not configured():
        raise BillNotPayable("Card payments are not set up for Portrait yet: nothing was charged.")
    return _charge(_claim(bill, pay_now=True, by=by, now=timezone.now()))


def bills_charge_due(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (bill id, medspa id) of every bill an automatic attempt is due for today (the daily job): unpaid
    bills that are not past due, whose medspa has a card, or with an attempt left waiting for Stripe. The
    task of each decides again under the bill's lock (bill_charge)."""
    now = now or timezone.now()
    with scopes_disabled():
        bills = bill_payments.unpaid(Bill.objects.all()).exclude(
            pk__in=bill_payments.past_due(Bill.objects.all(), now=now).values("pk")
        )
        with_card = Exists(
            SavedCard.objects.filter(
                medspa=OuterRef("medspa"), customer__patient__isnull=True, removed_at__isnull=True
            )
        )
        waiting = Exists(BillCharge.objects.filter(bill=OuterRef("pk"), status=BillCharge.Status.PENDING))
        candidates = list(bills.filter(with_card | waiting).select_related("medspa").order_by("pk"))
        states = bill_payments.bill_payment_states(candidates, now=now)
    due = []
    for bill in candidates:
        state = states[bill.pk]
        if (
            state.code == bill_payments.DUE
            or (state.code == bill_payments.PROCESSING and now - state.last.attempted_at >= ATTEMPT_LEASE)
            or (
                state.code == bill_payments.RETRYING
                and state.next_attempt_on <= clock.today(bill.medspa, now=now)
            )
        ):
            due.append((bill.pk, bill.medspa_id))
    return due


def bill_charge_follow(kind: str, data: dict, payment: CardPayment | None) -> None:
    """Stripe's event about a bill's charge (medspa.payments.events.FOLLOWERS): an attempt left waiting
    (Stripe was slow to answer) is settled as the event says."""
    if payment is None or payment.purpose != CardPayment.Purpose.PORTRAIT_BILL:
        return
    if payment.status == CardPayment.Status.PENDING:
        return
    attempt = BillCharge.objects.filter(card_payment=payment).first()
    named = KEY.fullmatch(payment.idempotency_key)
    if attempt is None and named is not None:  # the worker died before it kept the payment on the attempt
        attempt = BillCharge.objects.filter(bill_id=named["bill"], attempt=named["attempt"]).first()
    if attempt is not None:
        attempt_record(attempt, payment=payment)


# --- The receipt --------------------------------------------------------------------------------------------

# Where a paid attempt keeps its receipt to the medspa's admins (medspa.once): owed while succeeded, unsent.
RECEIPTS = once.Outbox.stamped(
    "receipt_sent_at", prefix="receipt_", owed={"status": BillCharge.Status.SUCCEEDED}
)


def bill_receipt_send(*, charge_id: int) -> str:
    """Emails the medspa's admins the receipt of a paid bill: marked sent in the transaction that holds the
    attempt while the email goes, sent again by the sweep if a worker died or the mail server refused."""
    row = BillCharge.objects.filter(pk=charge_id)
    charge = RECEIPTS.owing(row).select_related("bill__medspa", "card").first()
    if charge is None:
        return ""
    bill, medspa = charge.bill, charge.bill.medspa
    admins = list(
        medspa.memberships.filter(is_admin=True, is_active=True, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    if not admins:
        row.update(receipt_next_attempt_at=None)  # no one to tell: nothing is owed any more
        return ""
    context = {
        "bill": bill,
        "charge": charge,
        "medspa": medspa,
        "paid_on": clock.local(charge.settled_at, medspa).date(),
    }
    message = EmailMessage(
        subject=f"Receipt: Portrait bill {bill.number} for {date_format(bill.month, 'F Y')} is paid",
        body=render_to_string("billing/email/receipt.txt", context),
        to=admins,
    )
    return once.deliver_once(row, RECEIPTS, message.send)


def bill_receipts_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (attempt id, medspa id) of every receipt whose lease ran out or whose retry is due."""
    with scopes_disabled():
        return once.owed_sweep(BillCharge.objects.all(), RECEIPTS, now=now)
