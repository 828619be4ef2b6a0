"""Booking online under a booking policy, in a real Chromium: the patient reads the policy, accepts it, types
a test card into Stripe's card field (the local Stripe server's Stripe.js stand-in: plain inputs named by
their placeholders) and pays the deposit; a card that saves but is declined when charged leaves no booking."""

import re
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, expect

from medspa.messaging import sms
from medspa.models.payments import CardPayment
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from tests import factories
from tests.browser import book_up_to_details, fill_booking_details, screenshot, type_card

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    sms.outbox.clear()
    mail.outbox.clear()


@pytest.fixture
def clinic(live_cast, provider, stripe_local, stripe_connected):
    location, _ = factories.scheduling_world(
        live_cast.medspa_a,
        [provider],
        deposit_amount=Decimal("50"),
        late_cancel_fee=Decimal("40"),
        no_show_fee=Decimal("75"),
    )
    return location


def tomorrow() -> date:
    return timezone.now().astimezone(LA).date() + timedelta(days=1)


def test_a_patient_accepts_the_policy_pays_the_deposit_and_sees_it_on_the_manage_page(
    live_server, browser: Browser, live_cast, clinic
):
    context = browser.new_context()
    problems = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        details = book_up_to_details(page, live_server, clinic, tomorrow())
        policy = details.get_by_role("group", name="Booking policy")
        expect(policy).to_contain_text("A $50.00 deposit is charged to your card when you book")
        expect(policy).to_contain_text("Cancel or reschedule at least 24 hours ahead; later, a $40.00 fee")
        expect(policy).to_contain_text("A missed appointment is charged $75.00")
        fill_booking_details(details, "maya.chen@mail.example")

        # Not accepted: the form refuses, and says why.
        type_card(details, "4242424242424242")
        details.get_by_role("button", name="Confirm booking and pay the $50.00 deposit").click()
        details = page.get_by_role("region", name="5. Your details")
        expect(details).to_contain_text("tick “I accept the booking policy”")

        details.get_by_label("First name").fill("Maya")  # kept, but the card is typed again on a fresh form
        details.get_by_label("I accept the booking policy").check()
        type_card(details, "4242424242424242")
        screenshot(page, "scheduling_booking_deposit_details")
        details.get_by_role("button", name="Confirm booking and pay the $50.00 deposit").click()

        expect(page).to_have_url(re.compile(r"/book/manage/[^/]+/\?booked=1$"))
        expect(page.get_by_role("status")).to_contain_text("You’re booked.")
        paid = page.get_by_role("region", name="Deposit and booking policy")
        expect(paid).to_contain_text("Deposit paid: $50.00 with Visa ending 4242")
        expect(page.get_by_role("region", name="Your card on file")).to_contain_text("Visa ending 4242")
        screenshot(page, "scheduling_booking_deposit_paid")
    finally:
        context.close()
    assert problems == []

    with medspa_scope(live_cast.medspa_a):
        [appointment] = Appointment.objects.filter(location=clinic).select_related("deposit")
        assert appointment.status == AppointmentStatus.BOOKED
        assert appointment.deposit.status == CardPayment.Status.SUCCEEDED
        assert appointment.policy_accepted_ip == "127.0.0.1"
        assert CardPayment.objects.filter(medspa=live_cast.medspa_a).count() == 1
    assert [message.to for message in mail.outbox] == [["maya.chen@mail.example"]]  # the confirmation, once


def test_a_card_declined_for_the_deposit_says_so_and_leaves_no_booking(
    live_server, browser: Browser, live_cast, clinic
):
    context = browser.new_context()
    try:
        page = context.new_page()
        details = book_up_to_details(page, live_server, clinic, tomorrow())
        fill_booking_details(details, "maya.chen@mail.example")
        details.get_by_label("I accept the booking policy").check()
        type_card(details, "4000000000000341")  # saves, then is declined when charged
        details.get_by_role("button", name="Confirm booking and pay the $50.00 deposit").click()

        details = page.get_by_role("region", name="5. Your details")
        expect(details.get_by_role("alert").first).to_contain_text("Your booking was not made.")
        expect(details.get_by_role("alert").first).to_contain_text("declined")
        expect(page).not_to_have_url(re.compile(r"/book/manage/"))
        screenshot(page, "scheduling_booking_deposit_declined")
    finally:
        context.close()

    with medspa_scope(live_cast.medspa_a):
        assert not Appointment.objects.filter(location=clinic, status__in=["booked", "confirmed"]).exists()
        assert not CardPayment.objects.filter(
            medspa=live_cast.medspa_a, status=CardPayment.Status.SUCCEEDED
        ).exists()
    assert mail.outbox == []


def test_a_patient_saves_a_card_on_the_manage_page_and_pays_the_deposit_the_front_desk_did_not_take(
    live_server, browser: Browser, live_cast, clinic, provider
):
    from scheduling.tests.factories import AppointmentFactory

    with medspa_scope(live_cast.medspa_a):
        appointment_type = clinic.appointment_types.get()
        start = timezone.now().astimezone(LA).replace(hour=11, minute=0, second=0, microsecond=0)
        start += timedelta(days=3)
        appointment = AppointmentFactory(
            medspa=live_cast.medspa_a,
            appointment_type=appointment_type,
            provider=provider,
            start=start,
            end=start + timedelta(minutes=appointment_type.duration_minutes),
        )
    context = browser.new_context()
    problems = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        page.goto(f"{live_server.url}/book/manage/{appointment.manage_token}/")
        due = page.get_by_role("region", name="Deposit due")
        expect(due).to_contain_text("asks a deposit of $50.00 for this visit")
        expect(due).to_contain_text("Save a card below, then pay the deposit here.")

        card = page.get_by_role("region", name="Your card on file")
        type_card(card, "4242424242424242")
        card.get_by_role("button", name="Save a card").click()
        expect(page.get_by_role("status")).to_contain_text("Your card was saved.")

        due = page.get_by_role("region", name="Deposit due")
        pay = due.get_by_role("button", name="Pay the $50.00 deposit with Visa ending 4242")
        pay.click()  # the policy not accepted: the browser asks for it first
        expect(page.get_by_role("status")).not_to_contain_text("deposit was paid")
        due.get_by_label("I accept this booking policy").check()
        screenshot(page, "scheduling_manage_deposit_due")
        pay.click()
        expect(page.get_by_role("status")).to_contain_text("Your deposit was paid.")
        paid = page.get_by_role("region", name="Deposit and booking policy")
        expect(paid).to_contain_text("Deposit paid: $50.00 with Visa ending 4242")
        expect(page.get_by_role("region", name="Deposit due")).to_have_count(0)
    finally:
        context.close()
    assert problems == []

    with medspa_scope(live_cast.medspa_a):
        saved = Appointment.objects.select_related("deposit").get(pk=appointment.pk)
        assert saved.deposit.status == CardPayment.Status.SUCCEEDED and saved.deposit.amount == Decimal("50")
        assert saved.status == AppointmentStatus.BOOKED and saved.policy_accepted_ip == "127.0.0.1"
        assert CardPayment.objects.filter(medspa=live_cast.medspa_a).count() == 1
