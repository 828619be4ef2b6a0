"""The booking policy's money at the appointment's end: the deposit taken when booking (applied at the
visit's checkout) and the no-show and late-cancellation fees, charged to the patient's card on file by a
person who chose to (never automatically), at most once per appointment and kind. A fee is a sale of its
own (kind FEE, no visit), so Earnings and refunds treat it like any other sale.

The amounts are the appointment type's booking policy (`no_show_fee`, `late_cancel_fee`, scheduling's) and
the appointment's `deposit`, taken when the patient booked online (scheduling.services.deposits)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from medspa.models import User
from medspa.models.payments import CardPayment, SavedCard
from medspa.money import ZERO, cents, money_format
from medspa.payments.cards import patient_card
from medspa.payments.connect import ready_account
from providers.models import FeeKind, PaymentMethod, Sale, SaleKind, SaleLine, SaleStatus
from providers.services import settlement
from providers.services.settlement import CheckoutRefused, LineDraft, Tender, sale_settle
from scheduling.models import Appointment, AppointmentStatus

FEE_FIELDS = {FeeKind.NO_SHOW: "no_show_fee", FeeKind.LATE_CANCEL: "late_cancel_fee"}
FEE_PURPOSES = {
    FeeKind.NO_SHOW: CardPayment.Purpose.NO_SHOW_FEE,
    FeeKind.LATE_CANCEL: CardPayment.Purpose.LATE_CANCEL_FEE,
}


def _fee_of(appointment: Appointment, kind: str) -> Decimal | None:
    """The fee of `kind` the appointment type's booking policy sets (None when it sets none)."""
    amount = getattr(appointment.appointment_type, FEE_FIELDS[kind])
    return cents(amount) if amount else None


def deposit_of(appointment: Appointment | None) -> CardPayment | None:
    """The deposit taken through Stripe when the appointment was booked, if any (linked only once Stripe
    said it succeeded)."""
    if appointment is None or appointment.deposit_id is None:
        return None
    deposit = appointment.deposit
    return deposit if deposit.status == CardPayment.Status.SUCCEEDED else None


def fee_due_kind(appointment: Appointment) -> str | None:
    """Which fee the appointment may owe: a no-show's, or a cancellation's made inside the appointment
    type's cancellation window (or after the start)."""
    if appointment.status == AppointmentStatus.NO_SHOW:
        return FeeKind.NO_SHOW
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancelled_at is not None:
        window = timedelta(hours=appointment.appointment_type.cancellation_window_hours)
        if appointment.cancelled_at > appointment.start - window:
            return FeeKind.LATE_CANCEL
    return None


def fee_sale(appointment: Appointment, kind: str) -> Sale | None:
    """The sale the fee of `kind` was charged as, if it was."""
    return (
        Sale.objects.filter(appointment=appointment, kind=SaleKind.FEE, fee_kind=kind)
        .exclude(status=SaleStatus.VOIDED)
        .first()
    )


def _refusal(appointment: Appointment, kind: str, amount: Decimal) -> str:
    if kind not in FEE_FIELDS:
        return "Choose the no-show fee or the late-cancellation fee."
    if fee_due_kind(appointment) != kind:
        if kind == FeeKind.NO_SHOW:
            return "Only an appointment marked as a no-show can be charged the no-show fee."
        return (
            "Only an appointment cancelled inside its cancellation window "
            f"({appointment.appointment_type.cancellation_window_hours} hours before) can be charged the "
            "late-cancellation fee."
        )
    if amount <= 0:
        return "The fee must be more than $0."
    if fee_sale(appointment, kind) is not None:
        return f"The {FeeKind(kind).label.lower()} of this appointment was already charged."
    return ""


def appointment_fee_charge(
    *, appointment: Appointment, kind: str, amount: Decimal, by: User, idempotency_key: str
) -> Sale:
    """Charges the no-show or late-cancellation fee (`amount`) to the patient's card on file, once: the
    card through Stripe first (outside any transaction), then the fee's sale in one transaction. The same
    form sent twice charges once; a second fee for the same appointment and kind is refused (and, from
    two tabs at once, the second charge is refunded at once)."""
    amount = cents(amount)
    done = settlement.sale_of_key(idempotency_key, prefix=_key_prefix(appointment, kind))
    if done is not None:
        return done
    refusal = _refusal(appointment, kind, amount)
    if refusal:
        raise CheckoutRefused(refusal)
    if ready_account(appointment.medspa) is None:
        raise CheckoutRefused("Connect the medspa's Stripe account (Account settings → Payments) first.")
    card = patient_card(medspa=appointment.medspa, patient=appointment.patient)
    if card is None:
        raise CheckoutRefused(
            f"{appointment.patient.full_name} has no card on file: add one on the patient's profile first."
        )
    label = FeeKind(kind).label

    @transaction.atomic
    def settle(paid: list[Tender]) -> Sale:
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        refusal = _refusal(locked, kind, amount)
        if refusal:
            raise CheckoutRefused(refusal)
        sale = Sale.objects.create(
            medspa_id=locked.medspa_id,
            kind=SaleKind.FEE,
            appointment=locked,
            fee_kind=kind,
            patient_id=locked.patient_id,
            provider_id=locked.provider_id,
            location_id=locked.location_id,
            created_by=by,
        )
        line = LineDraft(SaleLine.Kind.FEE, label, Decimal("1"), amount)
        return sale_settle(sale, [line], discount=ZERO, discount_reason="", tip=ZERO, tenders=paid, by=by)

    return settlement.card_then_settle(
        medspa=appointment.medspa,
        tenders=[Tender(PaymentMethod.CARD, amount, card.last4, card=card)],
        by=by,
        idempotency_key=idempotency_key,
        description=f"{label} of {appointment.patient.full_name}'s appointment {appointment.pk}",
        settle=settle,
        purpose=FEE_PURPOSES[kind],
        key_prefix=_key_prefix(appointment, kind),
    )


def _key_prefix(appointment: Appointment, kind: str) -> str:
    return f"fee-{appointment.pk}-{kind}-"


def fee_offer(appointment: Appointment) -> dict | None:
    """What the appointment's page offers: the fee charged (its sale), or the fee that may be charged to
    the card on file (kind, amount, card), or None."""
    kind = fee_due_kind(appointment)
    if kind is None:
        return None
    sale = fee_sale(appointment, kind)
    if sale is not None:
        return {"kind": kind, "label": FeeKind(kind).label, "sale": sale, "amount": sale.total}
    amount = _fee_of(appointment, kind)
    if not amount or ready_account(appointment.medspa) is None:
        return None
    card: SavedCard | None = patient_card(medspa=appointment.medspa, patient=appointment.patient)
    if card is None:
        return None
    return {"kind": kind, "label": FeeKind(kind).label, "amount": amount, "card": card, "sale": None}


def fee_offer_words(offer: dict) -> str:
    """The button's words: "Charge the $75.00 no-show fee to Visa ending 4242"."""
    return f"Charge the {money_format(offer['amount'])} {offer['label'].lower()} to {offer['card']}"
