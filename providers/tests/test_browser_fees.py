"""A no-show fee through a real Chromium and the local Stripe server: the front desk marks a patient with a
card on file as a no-show on the calendar, charges the no-show fee after confirming, sees it charged, then
opens its sale and refunds part of it with a reason."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from medspa.models.payments import CardRefund, SavedCard
from medspa.payments import cards
from medspa.tenancy import medspa_scope
from providers.models import Refund, Sale, SaleKind
from scheduling.models import AppointmentStatus, AppointmentType
from tests import factories
from tests.browser import screenshot, sign_in
from tests.fixtures import stripe_js_confirm

pytestmark = pytest.mark.browser


def test_the_front_desk_charges_a_no_show_fee_then_refunds_part_of_it(
    live_server, page: Page, live_cast, stripe_local, stripe_connected
):
    medspa = live_cast.medspa_a
    with medspa_scope(medspa):
        provider = live_cast.provider_a1.memberships.get()
    world = factories.charting_world(medspa, provider)
    start = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    appointment = factories.checked_in_appointment(world, provider, start=start)
    appointment.status = AppointmentStatus.BOOKED  # booked, and the patient never came
    appointment.save(update_fields=["status"])
    with medspa_scope(medspa):
        AppointmentType.objects.filter(pk=appointment.appointment_type_id).update(
            no_show_fee=Decimal("75.00")
        )
        customer = cards.customer_for(medspa=medspa, patient=world.patient)
        setup = cards.card_setup_start(customer=customer)
        stripe_js_confirm(stripe_local, setup)
        cards.card_save(customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.ONLINE)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    sign_in(page, live_server, live_cast.admin_a)

    # The appointment's page on the calendar: marked a no-show after confirming.
    page.goto(live_server.url + reverse("scheduling:appointment_detail", args=[appointment.pk]))
    page.get_by_role("button", name="No-show", exact=True).click()
    expect(page.get_by_text("The appointment is now no-show.")).to_be_visible()
    assert dialogs[-1] == f"Mark {world.patient.full_name} as a no-show?"

    # The fee's button, confirmed: charged once to the card on file.
    charge = page.get_by_role("button", name="Charge the $75.00 no-show fee to Visa ending 4242")
    expect(charge).to_be_visible()
    charge.click()
    expect(page.get_by_text("Charged $75.00: the no-show fee")).to_be_visible()
    assert dialogs[-1].startswith("Charge the $75.00 no-show fee to Visa ending 4242?")
    expect(page.get_by_text("No-show fee charged $75.00 on")).to_be_visible()
    expect(
        page.get_by_role("button", name="Charge the $75.00 no-show fee to Visa ending 4242")
    ).to_have_count(0)
    screenshot(page, "no-show-fee-charged")
    with medspa_scope(medspa):
        sale = Sale.objects.get()
        assert sale.kind == SaleKind.FEE and sale.total == Decimal("75.00")

    # Its sale: $25.00 of the $75.00 refunded, with a reason, after confirming.
    page.get_by_role("link", name=f"Open {sale.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt {sale.number}")
    expect(page.locator("main")).to_contain_text("No-show fee")
    page.get_by_label("Amount ($)").fill("25.00")
    page.get_by_label("Reason").fill("Came the next day")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_text("$25.00 was refunded to the card payment.")).to_be_visible()
    assert dialogs[-1].startswith("Refund this money?")
    expect(page.locator("table.sale-refunds")).to_contain_text("Came the next day")
    screenshot(page, "no-show-fee-refunded")
    with medspa_scope(medspa):
        refund = Refund.objects.get(sale=sale)
        assert refund.amount == Decimal("25.00")
        assert refund.card_refund.status == CardRefund.Status.SUCCEEDED
