"""The deposit of an appointment booked without one (by the front desk, or before the medspa took cards), paid
by the patient from the manage link with their card on file: charged once through the local Stripe server, the
policy accepted as shown, and a decline that records nothing and leaves the booking as it was."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from medspa.models.payments import CardPayment, SavedCard
from medspa.payments import cards
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors.booking_policy import booking_policy_digest
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.test_booking_policy import POLICY, POLICY_OPTIONS, at
from tests import factories
from tests.fixtures import stripe_js_confirm

DEPOSIT_KEY = re.compile(r'name="deposit_key" value="([0-9a-f]{32})"')


@pytest.fixture
def world(cast, provider):
    return factories.booking_world(cast.medspa_a, provider, **POLICY_OPTIONS)


def staff_booking(world, *, days=3, **extra) -> Appointment:
    start = at(days, 11)
    return AppointmentFactory(
        medspa=world.medspa,
        appointment_type=world.type,
        provider=world.provider,
        start=start,
        end=start + timedelta(minutes=world.type.duration_minutes),
        **extra,
    )


def card_for(stripe_local, medspa, patient, payment_method="pm_card_visa") -> SavedCard:
    with medspa_scope(medspa):
        customer = cards.customer_for(medspa=medspa, patient=patient)
        setup = cards.card_setup_start(customer=customer)
        stripe_js_confirm(stripe_local, setup, payment_method)
        return cards.card_save(
            customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.MANAGE
        )


def manage_url(appointment) -> str:
    return reverse("booking_manage", args=[appointment.manage_token])


def pay(client, appointment, page: str, **fields):
    data = {
        "action": "deposit_pay",
        "deposit_key": DEPOSIT_KEY.search(page).group(1),
        "policy_digest": booking_policy_digest(appointment.appointment_type),
        "accept_policy": "on",
        **fields,
    }
    return client.post(manage_url(appointment), data)


def deposits_of(world):
    with medspa_scope(world.medspa):
        return list(CardPayment.objects.filter(medspa=world.medspa, purpose=CardPayment.Purpose.DEPOSIT))


def reloaded(appointment) -> Appointment:
    with medspa_scope(appointment.medspa):
        return Appointment.objects.select_related("deposit").get(pk=appointment.pk)


def test_the_patient_pays_the_deposit_of_a_front_desk_booking_once_with_the_policy_kept(
    world, stripe_local, stripe_connected
):
    appointment = staff_booking(world)
    card_for(stripe_local, world.medspa, appointment.patient)
    client = Client()
    page = client.get(manage_url(appointment)).content.decode()
    assert (
        "Deposit due" in page and "$50.00" in page and "Pay the $50.00 deposit with Visa ending 4242" in page
    )
    assert POLICY[2] in page

    first = pay(client, appointment, page)
    again = pay(client, appointment, page)  # the double-click: the same form
    assert first.status_code == again.status_code == 303
    [payment] = deposits_of(world)
    assert payment.status == CardPayment.Status.SUCCEEDED and payment.amount == 50
    saved = reloaded(appointment)
    assert saved.deposit_id == payment.pk and saved.status == AppointmentStatus.BOOKED
    assert saved.policy_text.splitlines() == list(POLICY)
    assert saved.policy_accepted_ip == "127.0.0.1" and saved.policy_accepted_at is not None

    after = client.get(first["Location"]).content.decode()
    assert "Your deposit was paid" in after and "Deposit due" not in after
    assert "Deposit paid: <strong>$50.00</strong> with Visa ending 4242" in after


def test_a_declined_card_records_nothing_keeps_the_booking_and_a_new_card_pays(
    world, stripe_local, stripe_connected
):
    appointment = staff_booking(world)
    card_for(stripe_local, world.medspa, appointment.patient, "pm_card_chargeCustomerFail")
    client = Client()
    page = client.get(manage_url(appointment)).content.decode()
    declined = pay(client, appointment, page)
    assert declined.status_code == 402
    text = declined.content.decode()
    assert "The deposit was not paid." in text and "declined" in text
    saved = reloaded(appointment)
    assert saved.deposit_id is None and saved.status == AppointmentStatus.BOOKED
    assert saved.policy_accepted_at is None
    assert [payment.status for payment in deposits_of(world)] == [CardPayment.Status.FAILED]

    card_for(stripe_local, world.medspa, appointment.patient)  # the patient saves another card
    page = client.get(manage_url(appointment)).content.decode()
    assert pay(client, appointment, page).status_code == 303
    assert reloaded(appointment).deposit.status == CardPayment.Status.SUCCEEDED


def test_it_asks_for_the_policy_accepted_and_a_card_and_refuses_a_policy_changed_meanwhile(
    world, stripe_local, stripe_connected
):
    appointment = staff_booking(world)
    client = Client()
    page = client.get(manage_url(appointment)).content.decode()
    assert "Save a card below, then pay the deposit here." in page and "deposit_key" not in page
    no_card = pay(client, appointment, 'name="deposit_key" value="' + "c" * 32 + '"')
    assert no_card.status_code == 400 and "Please save your card first." in no_card.content.decode()

    card_for(stripe_local, world.medspa, appointment.patient)
    page = client.get(manage_url(appointment)).content.decode()
    refused = pay(client, appointment, page, accept_policy="")
    assert refused.status_code == 400 and "Please accept the booking policy." in refused.content.decode()
    changed = pay(client, appointment, page, policy_digest="0" * 16)
    assert changed.status_code == 409 and "changed while you were reading" in changed.content.decode()
    assert pay(client, appointment, page, deposit_key="../x").status_code == 400
    assert deposits_of(world) == []


def test_no_deposit_is_offered_once_paid_cancelled_past_or_without_stripe(
    world, stripe_local, cast, provider
):
    appointment = staff_booking(world)
    page = Client().get(manage_url(appointment)).content.decode()
    assert "Deposit due" not in page  # the medspa cannot take cards yet

    cancelled = staff_booking(world, days=4, status=AppointmentStatus.CANCELLED)
    other = factories.booking_world(cast.medspa_a, provider, price=100)
    free = AppointmentFactory(medspa=world.medspa, appointment_type=other.type, provider=provider)
    for each in (cancelled, free):
        assert "Deposit due" not in Client().get(manage_url(each)).content.decode()


def test_the_service_refuses_a_cancelled_appointment_and_another_patients_card(
    world, stripe_local, stripe_connected
):
    from scheduling.services.booking import BookingInvalid
    from scheduling.services.deposits import appointment_deposit_pay

    appointment = staff_booking(world)
    stranger = factories.PatientFactory(medspa=world.medspa)
    card = card_for(stripe_local, world.medspa, stranger)
    with medspa_scope(world.medspa), pytest.raises(BookingInvalid, match="save your card"):
        appointment_deposit_pay(
            appointment=appointment, card=card, form_key="a" * 32, policy_text="", ip=None
        )
    with medspa_scope(world.medspa):
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
        own = card_for(stripe_local, world.medspa, appointment.patient)
        with pytest.raises(BookingInvalid, match="no deposit"):
            appointment_deposit_pay(
                appointment=appointment, card=own, form_key="b" * 32, policy_text="", ip=None
            )
    assert deposits_of(world) == []
