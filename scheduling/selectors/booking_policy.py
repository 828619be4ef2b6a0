"""The booking policy of an appointment type as patients read it, and whether the medspa can enforce it.

A deposit or a fee needs a card on file, and a card needs the medspa's connected Stripe account: until the
medspa can take cards, the booking page states no policy and takes no card (a fee that cannot be charged is
not promised, nor asked to be accepted)."""

import hashlib

from medspa.money import money_format
from medspa.payments.connect import ready_account
from scheduling.models import AppointmentType


def booking_policy_lines(appointment_type: AppointmentType) -> list[str]:
    """The policy as a list of sentences ("A $50.00 deposit is charged when you book …"); empty when the
    type has no deposit and no fee. The late-cancellation fee applies inside the cancellation window."""
    lines = []
    deposit = appointment_type.deposit_due
    if deposit > 0:
        lines.append(
            f"A {money_format(deposit)} deposit is charged to your card when you book "
            "and goes toward your visit."
        )
    hours = appointment_type.cancellation_window_hours
    ahead = f"{hours} hour{'' if hours == 1 else 's'}"
    if appointment_type.late_cancel_fee > 0:
        lines.append(
            f"Cancel or reschedule at least {ahead} ahead; later, a "
            f"{money_format(appointment_type.late_cancel_fee)} fee is charged to your card on file."
        )
    elif lines or appointment_type.no_show_fee > 0:
        lines.append(f"You can cancel or reschedule online until {ahead} before your appointment.")
    if appointment_type.no_show_fee > 0:
        fee = money_format(appointment_type.no_show_fee)
        lines.append(f"A missed appointment is charged {fee} to your card on file.")
    return lines


def booking_policy_enforced(appointment_type: AppointmentType) -> bool:
    """Whether booking this type online states its policy and takes a card: the type has a deposit or a fee
    and its medspa's Stripe account can take charges."""
    return appointment_type.has_booking_policy and ready_account(appointment_type.medspa) is not None


def booking_policy_text(appointment_type: AppointmentType) -> str:
    """The policy as one text, one sentence a line: what the appointment keeps as accepted."""
    return "\n".join(booking_policy_lines(appointment_type))


def booking_policy_digest(appointment_type: AppointmentType) -> str:
    """A short fingerprint of the policy's text: the form carries the one it showed, so that a policy changed
    while the patient was reading is not recorded as accepted."""
    return hashlib.sha256(booking_policy_text(appointment_type).encode()).hexdigest()[:16]
