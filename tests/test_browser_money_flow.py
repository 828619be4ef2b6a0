"""Money through Stripe from booking to refund, in a real Chromium against the local Stripe server: a
patient books online under a booking policy and pays the $50.00 deposit with a card saved in Stripe's card
field; the day comes and she does not; the front desk marks the no-show, charges the $75.00 fee to the card on
file after confirming, and refunds $25.00 of it. Each step moves money at Stripe (counted in its store),
once."""

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from devtools import stripe_local as local
from medspa.models.payments import CardPayment, CardRefund
from medspa.tenancy import medspa_scope
from providers.models import Refund, Sale, SaleKind
from scheduling.models import Appointment, AppointmentStatus
from tests import factories
from tests.browser import (
    book_up_to_details,
    fill_booking_details,
    no_csp_violations_nor_server_errors,
    sign_in,
    type_card,
)

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")


def _charges_at_stripe(payment: CardPayment) -> list[int]:
    return [
        obj.amount
        for key, obj in local.resources.store.items()
        if key.startswith("charge:") and obj.payment_intent == payment.payment_intent_id
    ]


def _refunds_at_stripe(payment: CardPayment) -> list[int]:
    return [
        obj.amount
        for key, obj in local.resources.store.items()
        if key.startswith("refund:") and obj.charge == payment.charge_id
    ]


def test_a_deposit_at_booking_a_no_show_fee_and_a_partial_refund_each_move_money_once(
    live_server, browser: Browser, live_cast, provider, stripe_local, stripe_connected
):
    medspa = live_cast.medspa_a
    location, _ = factories.scheduling_world(
        medspa, [provider], deposit_amount=Decimal("50"), no_show_fee=Decimal("75")
    )
    day: date = timezone.now().astimezone(LA).date() + timedelta(days=1)
    dialogs: list[str] = []

    # The patient books: the policy read and accepted, the card typed into Stripe's field, the deposit paid.
    patient_side = browser.new_context()
    page = patient_side.new_page()
    with no_csp_violations_nor_server_errors(page):
        details = book_up_to_details(page, live_server, location, day)
        expect(details.get_by_role("group", name="Booking policy")).to_contain_text(
            "A missed appointment is charged $75.00"
        )
        fill_booking_details(details, "maya.chen@mail.example")
        details.get_by_label("I accept the booking policy").check()
        type_card(details, "4242424242424242")
        details.get_by_role("button", name="Confirm booking and pay the $50.00 deposit").click()
        expect(page.get_by_role("region", name="Deposit and booking policy")).to_contain_text(
            "Deposit paid: $50.00 with Visa ending 4242"
        )
    patient_side.close()
    with medspa_scope(medspa):
        appointment = Appointment.objects.select_related("deposit").get(patient__last_name="Chen")
        deposit = appointment.deposit
    assert deposit.status == CardPayment.Status.SUCCEEDED and deposit.amount == Decimal("50.00")
    assert _charges_at_stripe(deposit) == [5000]

    # The day comes, an hour past the appointment's start: the front desk marks the no-show, charges the fee.
    with time_machine.travel(appointment.start + timedelta(hours=1), tick=True):
        desk = browser.new_context()
        page = desk.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        with no_csp_violations_nor_server_errors(page):
            sign_in(page, live_server, live_cast.admin_a)
            page.goto(live_server.url + reverse("scheduling:appointment_detail", args=[appointment.pk]))
            page.get_by_role("button", name="No-show", exact=True).click()
            expect(page.get_by_text("The appointment is now no-show.")).to_be_visible()
            fee = page.get_by_role("button", name="Charge the $75.00 no-show fee to Visa ending 4242")
            fee.click()
            expect(page.get_by_text("No-show fee charged $75.00 on")).to_be_visible()
            assert dialogs[-1].startswith("Charge the $75.00 no-show fee to Visa ending 4242?")

            # $25.00 of the fee back, with a reason, from its sale.
            with medspa_scope(medspa):
                sale = Sale.objects.get(kind=SaleKind.FEE, appointment=appointment)
            page.get_by_role("link", name=f"Open {sale.number}").click()
            page.get_by_label("Amount ($)").fill("25.00")
            page.get_by_label("Reason").fill("Came the next day")
            page.get_by_role("button", name="Refund", exact=True).click()
            expect(page.get_by_text("$25.00 was refunded to the card payment.")).to_be_visible()
        desk.close()

    with medspa_scope(medspa):
        appointment.refresh_from_db()
        fee_payment = sale.payments.get().card_payment
        refund = Refund.objects.get(sale=sale)
        assert appointment.status == AppointmentStatus.NO_SHOW
        assert (fee_payment.purpose, fee_payment.amount, fee_payment.card_id) == (
            CardPayment.Purpose.NO_SHOW_FEE,
            Decimal("75.00"),
            appointment.policy_card_id,
        )
        assert (refund.amount, refund.card_refund.status) == (Decimal("25.00"), CardRefund.Status.SUCCEEDED)
        assert CardPayment.objects.filter(medspa=medspa).count() == 2  # the deposit and the fee, once each
    assert _charges_at_stripe(fee_payment) == [7500] and _refunds_at_stripe(fee_payment) == [2500]
    assert _charges_at_stripe(deposit) == [5000] and _refunds_at_stripe(deposit) == []
