"""A deposit whose charge Stripe settled only after the booking had been undone (Stripe out of reach when the
patient booked, so the booking was cancelled; the charge had gone through, or went through when sent again):
the sweep that sends pending payments again learns it, and the deposit is given back in full, once. A deposit
of a booking that stands is kept."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from devtools import stripe_local as local
from medspa.models.payments import CardPayment, CardRefund
from medspa.payments import charges
from medspa.payments.client import StripeUnavailable
from medspa.tenancy import medspa_scope
from scheduling.models import AppointmentStatus
from scheduling.services.booking import appointment_book, appointment_cancel
from tests import factories
from tests.fixtures import closed_port

LA = ZoneInfo("America/Los_Angeles")


def _deposit(card, appointment) -> CardPayment:
    """The deposit as the booking page charges it (scheduling.services.deposits)."""
    return charges.card_charge(
        medspa=appointment.medspa,
        purpose=CardPayment.Purpose.DEPOSIT,
        amount=Decimal("50.00"),
        card=card,
        description="Deposit",
        idempotency_key=f"deposit-{appointment.pk}",
        metadata={"appointment": appointment.pk},
    )


def _refunds_at_stripe(payment: CardPayment) -> list[int]:
    return [
        o.amount
        for k, o in local.resources.store.items()
        if k.startswith("refund:") and o.charge == payment.charge_id
    ]


@pytest.mark.parametrize("booking_undone", [True, False], ids=["undone", "standing"])
def test_a_deposit_settled_after_its_booking_was_undone_is_given_back_once(
    patient_card, cast, provider, settings, booking_undone
):
    medspa = cast.medspa_a
    _, appointment_type = factories.scheduling_world(medspa, [provider], deposit_amount=Decimal("50"))
    day = timezone.now().astimezone(LA).date() + timedelta(days=1)
    with medspa_scope(medspa):
        appointment = appointment_book(
            appointment_type=appointment_type,
            start=datetime.combine(day, time(10), tzinfo=LA),
            patient=patient_card.customer.patient,
            notify=False,
        )
        reachable, settings.STRIPE_API_URL = settings.STRIPE_API_URL, f"http://127.0.0.1:{closed_port()}"
        with pytest.raises(StripeUnavailable):
            _deposit(patient_card, appointment)
        if booking_undone:  # what the booking page does when the deposit is not known to be paid
            appointment_cancel(appointment=appointment, reason="Deposit not confirmed", notify=False)
        settings.STRIPE_API_URL = reachable
        payment = CardPayment.objects.get(idempotency_key=f"deposit-{appointment.pk}")
        CardPayment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=5))

        assert charges.pending_payments_resend() == 1
        assert charges.pending_payments_resend() == 0  # settled: neither sent nor given back again
        payment.refresh_from_db()
        appointment.refresh_from_db()
        refunds = list(CardRefund.objects.filter(payment=payment))

    assert payment.status == CardPayment.Status.SUCCEEDED
    if booking_undone:
        assert appointment.status == AppointmentStatus.CANCELLED
        assert [(r.amount, r.status) for r in refunds] == [(Decimal("50.00"), CardRefund.Status.SUCCEEDED)]
        assert _refunds_at_stripe(payment) == [5000]
    else:
        assert refunds == [] and _refunds_at_stripe(payment) == []
