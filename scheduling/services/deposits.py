"""The booking policy at booking time: the patient's acceptance kept on the appointment (the text as shown,
when, from which address), then the card saved through Stripe and the deposit charged, before the booking is
confirmed to anyone. A card that cannot be saved or a deposit declined undoes the booking without a word to
the patient (they were never told it was booked), and nothing is recorded as paid.

The card steps call Stripe and so run outside any transaction (medspa.payments.charges); one lock per
appointment lets a retried request find the first one's card and deposit instead of making its own."""

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.models.payments import CardPayment, SavedCard
from medspa.money import money_format
from medspa.payments import cards, charges, refunds
from medspa.payments.client import PaymentError
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import hooks
from scheduling.services.booking import BookingError, BookingInvalid, appointment_cancel

NOT_COMPLETED = "Your booking was not made"


class BookingPaymentFailed(BookingError):
    """The card could not be saved or the deposit was declined: the booking is undone, nothing was paid."""

    status_code = 402


@contextmanager
def _appointment_lock(appointment: Appointment) -> Iterator[None]:
    """Held across the Stripe calls, which run outside any transaction: a transaction-level lock taken on a
    connection of its own, whose transaction lasts as long as the block. Not a session lock: through PgBouncer
    in transaction mode it would stay on whichever server connection took it, and the unlock could reach
    another one. Ending the holder's transaction (however the block ends) releases the lock."""
    key = f"booking-card:{appointment.pk}"
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
        yield
    finally:
        try:
            holder.rollback()  # it wrote nothing: ending its transaction is what releases the lock
        finally:
            holder.close()


def appointment_policy_accept(
    *, appointment: Appointment, text: str, ip: str | None, now: datetime | None = None
) -> Appointment:
    """Keeps the booking policy the patient accepted: its text as shown, when, and the client's address.
    The first acceptance stands (a retried request does not rewrite it)."""
    if appointment.policy_accepted_at is not None:
        return appointment
    appointment.policy_text = text
    appointment.policy_accepted_at = now or timezone.now()
    appointment.policy_accepted_ip = ip
    appointment.save(update_fields=["policy_text", "policy_accepted_at", "policy_accepted_ip", "updated_at"])
    return appointment


def appointment_card_secure(*, appointment: Appointment, setup_intent_id: str, form_key: str) -> Appointment:
    """Saves the card the booking form's SetupIntent confirmed (made for the form `form_key`) as the
    patient's card on file, charges the type's deposit to it, links both to the appointment and only then
    sends the booking's confirmation. Raises BookingPaymentFailed, the appointment cancelled, when the card
    cannot be saved or is declined. Call outside any transaction; a retry with the same appointment saves
    and charges once and confirms once."""
    with _appointment_lock(appointment):
        appointment = Appointment.objects.select_related("appointment_type", "medspa", "patient").get(
            pk=appointment.pk
        )
        if appointment.status == AppointmentStatus.CANCELLED:
            raise BookingPaymentFailed(
                f"{NOT_COMPLETED}: {appointment.cancel_reason.lower()}. Please check your card and try again."
            )
        appointment_type = appointment.appointment_type
        deposit = appointment_type.deposit_due
        if appointment.policy_card_id and (deposit <= 0 or appointment.deposit_id):
            return appointment  # a retry of a booking already secured
        reason, card = "Card not saved", None
        try:
            if not setup_intent_id:
                raise PaymentError("Please enter your card.")
            customer = cards.customer_for(medspa=appointment.medspa, patient=appointment.patient)
            card = cards.card_save(
                customer=customer,
                setup_intent_id=setup_intent_id,
                via=SavedCard.Via.ONLINE,
                expected_metadata={"booking": form_key},
                keep_replaced=True,  # the patient's card on file stays theirs until this one is charged
            )
            payment = None
            if deposit > 0:
                reason = "Deposit declined"
                payment = charges.card_charge(
                    medspa=appointment.medspa,
                    purpose=CardPayment.Purpose.DEPOSIT,
                    amount=deposit,
                    card=card,
                    description=f"Deposit for {appointment_type.name} ({money_format(deposit)})",
                    idempotency_key=f"deposit-{appointment.pk}",
                    metadata={"appointment": appointment.pk},
                )
            if payment is not None and payment.status != CardPayment.Status.SUCCEEDED:
                # Stripe is still processing it: not paid yet, so not booked on its strength.
                raise PaymentError("Your bank has not approved the deposit yet. Please try again shortly.")
        except PaymentError as error:
            if card is not None:
                with contextlib.suppress(
                    PaymentError
                ):  # Stripe out of reach: the new card stays off file here
                    cards.card_replacement_undo(card)
            appointment_cancel(appointment=appointment, reason=reason, notify=False)
            raise BookingPaymentFailed(f"{NOT_COMPLETED}. {error}") from error
        with contextlib.suppress(PaymentError):  # a card Stripe could not detach now is off file all the same
            cards.card_replacement_keep(card)
        with transaction.atomic():
            locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
            locked.policy_card = card
            locked.deposit = payment
            locked.save(update_fields=["policy_card", "deposit", "updated_at"])
            transaction.on_commit(lambda: hooks.appointment_changed(locked, "confirmation"))
        return locked


# Appointments whose deposit may still be paid from the manage link: not yet seen, not cancelled.
PAYABLE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


def deposit_payable(appointment: Appointment, *, now: datetime | None = None) -> bool:
    """Whether the patient can pay the appointment's deposit from the manage link: its type asks one, none
    was paid, the appointment is still ahead and open."""
    return (
        appointment.deposit_id is None
        and appointment.status in PAYABLE_STATUSES
        and appointment.start > (now or timezone.now())
        and appointment.appointment_type.deposit_due > 0
    )


def appointment_deposit_pay(
    *, appointment: Appointment, card: SavedCard, form_key: str, policy_text: str, ip: str | None
) -> Appointment:
    """The patient pays, from the manage link and with their card on file, the deposit of an appointment
    booked without one (by the front desk, or before the medspa took cards), accepting the booking policy
    as shown. A decline records nothing as paid and leaves the appointment booked; the form's key makes a
    double-click charge once and lets a new attempt (another card, or the same one later) be a new charge.
    Call outside any transaction."""
    with _appointment_lock(appointment):
        appointment = Appointment.objects.select_related("appointment_type", "medspa", "patient").get(
            pk=appointment.pk
        )
        if appointment.deposit_id is not None:
            return appointment  # paid meanwhile (a second click, another tab)
        if not deposit_payable(appointment):
            raise BookingInvalid("This appointment takes no deposit now.")
        if card.customer.patient_id != appointment.patient_id or card.removed_at is not None:
            raise BookingInvalid("Please save your card first.")
        deposit = appointment.appointment_type.deposit_due
        try:
            payment = charges.card_charge(
                medspa=appointment.medspa,
                purpose=CardPayment.Purpose.DEPOSIT,
                amount=deposit,
                card=card,
                description=f"Deposit for {appointment.appointment_type.name} ({money_format(deposit)})",
                idempotency_key=f"deposit-{appointment.pk}-{form_key}"[:100],
                metadata={"appointment": appointment.pk},
            )
        except PaymentError as error:
            raise BookingPaymentFailed(f"The deposit was not paid. {error}") from error
        if payment.status != CardPayment.Status.SUCCEEDED:
            raise BookingPaymentFailed(
                "Your bank has not approved the deposit yet. Please try again shortly."
            )
        with transaction.atomic():
            locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
            locked.deposit = payment
            fields = ["deposit", "updated_at"]
            if locked.policy_card_id is None:
                locked.policy_card = card
                fields.append("policy_card")
            locked.save(update_fields=fields)
        return appointment_policy_accept(appointment=locked, text=policy_text, ip=ip)


def deposit_return_if_unbooked(payment: CardPayment) -> None:
    """A deposit Stripe took after the booking it was for had been undone (Stripe out of reach when asked,
    then the charge went through: told by the sweep or Stripe's event): given back in full, once. A deposit
    of a booking that stands, or one the booking holds, is left alone."""
    if payment.purpose != CardPayment.Purpose.DEPOSIT or payment.status != CardPayment.Status.SUCCEEDED:
        return
    appointment_id = str(payment.metadata.get("appointment", ""))
    with scopes_disabled():
        appointment = (
            Appointment.objects.filter(pk=appointment_id).first() if appointment_id.isdigit() else None
        )
        if appointment is None or appointment.deposit_id is not None:
            return
        if appointment.status != AppointmentStatus.CANCELLED:
            return
        left = refunds.card_refundable(payment)
        if left > 0:
            refunds.card_refund(
                payment=payment,
                amount=left,
                reason="The booking was not made: the deposit is given back",
                idempotency_key=f"deposit-return-{payment.pk}",
            )
