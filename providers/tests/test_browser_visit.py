"""A whole service visit through a real Chromium: the provider checks the patient in on their calendar,
starts the visit, the patient signs the consent on the canvas, the visit is charged with a split payment
(card and cash), the provider signs the chart, and the care messages of the visit show as sent. And a
chart an admin signs while masquerading, on the provider's behalf, co-signed by the provider from their To-Do.

The browser is signed in by handing it the session of a Django test client that did force_login."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from medspa.tenancy import medspa_scope
from providers.models import CareMessageLog, Sale, Visit, VisitConsent
from providers.services import charting
from scheduling.models import AppointmentStatus
from tests import factories
from tests.browser import draw_signature, screenshot, sign_in, url_is

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("media_and_sms"),
]


def test_a_visit_from_check_in_to_signed_chart_and_care_messages(live_server, page: Page, live_cast):
    provider = live_cast.provider_a1
    with medspa_scope(live_cast.medspa_a):
        membership = provider.memberships.get()
    world = factories.charting_world(live_cast.medspa_a, membership)
    appointment = factories.checked_in_appointment(world, membership)
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.save(update_fields=["status"])
    patient = world.patient
    sign_in(page, live_server, provider)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions

    # The calendar's appointment: check in, then start the visit.
    page.goto(f"{live_server.url}/provider/calendar/?appointment={appointment.pk}")
    expect(page.get_by_role("button", name="Start visit")).to_have_count(0)  # not checked in yet
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"{patient.full_name} is checked in.")
    page.get_by_role("button", name="Start visit", exact=True).click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/provider/visits/\d+/$"))
    with medspa_scope(live_cast.medspa_a):
        visit = Visit.objects.get(appointment=appointment)
    expect(page).to_have_url(url_is(live_server, f"/provider/visits/{visit.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Visit: {patient.full_name}")
    services = page.locator("section#services")
    expect(services.get_by_role("cell", name="Neurotoxin", exact=True)).to_be_visible()
    expect(services.get_by_role("cell", name="$300.00", exact=True)).to_be_visible()

    # The patient reads the consent and signs it on the canvas.
    consents = page.locator("section#consents")
    expect(consents).to_contain_text("I understand the risks of neurotoxin injections")
    draw_signature(page, consents.get_by_label("Signature drawing area for Neurotoxin consent"))
    screenshot(page, "visit_consent_drawn")
    consents.get_by_role("button", name="Patient signs", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"{patient.full_name} signed the Neurotoxin consent.")
    expect(page.locator("section#consents")).to_contain_text("Covered by the signature of")
    with medspa_scope(live_cast.medspa_a):
        signed = VisitConsent.objects.get(visit=visit)
    assert signed.signature.signature.read().startswith(b"\x89PNG")

    # Checkout: $300 split between a card and cash.
    checkout = page.locator("section#checkout")
    checkout.get_by_label("Card ($)", exact=True).fill("200")
    checkout.get_by_label("Card's last 4 digits", exact=True).fill("4242")
    checkout.get_by_label("Cash ($)", exact=True).fill("100")
    screenshot(page, "visit_checkout_filled")
    checkout.get_by_role("button", name="Charge and complete the visit", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Paid $300.00")
    checkout = page.locator("section#checkout")
    payments = checkout.get_by_role("table").nth(1)
    expect(payments.get_by_role("row", name="Card $200.00 4242")).to_be_visible()
    expect(payments.get_by_role("row", name="Cash $100.00 —")).to_be_visible()
    visit.refresh_from_db()
    assert visit.status == "completed"
    with medspa_scope(live_cast.medspa_a):
        assert sorted(visit.sale.payments.values_list("amount", flat=True)) == [
            Decimal("100.00"),
            Decimal("200.00"),
        ]

    # The provider signs the chart (confirming), which locks it.
    page.locator("section#sign").get_by_role("button", name="Sign the chart", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The chart is signed and locked.")
    expect(page.get_by_text("Chart signed", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Save the notes")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign and add the addendum")).to_be_visible()

    # The care messages went out after the checkout's commit: the log shows the email sent.
    logs = page.locator("section#checkout table.care-messages")
    email_row = logs.get_by_role("row").filter(has=page.get_by_role("cell", name="Email", exact=True))
    expect(email_row).to_contain_text("Neurotoxin aftercare")
    expect(email_row.get_by_text("Sent", exact=True)).to_be_visible()
    screenshot(page, "visit_signed_with_care_messages")
    with medspa_scope(live_cast.medspa_a):
        assert CareMessageLog.objects.get(visit=visit, channel="email").status == "sent"
    assert len(mail.outbox) == 1 and "Stay upright" in mail.outbox[0].body


def test_an_admin_masquerading_signs_on_the_providers_behalf_and_the_provider_co_signs(
    live_server, page: Page, live_cast
):
    admin, provider = live_cast.admin_a, live_cast.provider_a1
    with medspa_scope(live_cast.medspa_a):
        membership = provider.memberships.get()
    world = factories.charting_world(live_cast.medspa_a, membership)
    appointment = factories.checked_in_appointment(world, membership)
    with medspa_scope(live_cast.medspa_a):
        visit = charting.visit_start_from_appointment(appointment=appointment, by=provider)
    factories.consent_sign(visit, provider)
    page.on("dialog", lambda dialog: dialog.accept())

    # The admin masquerades from the Providers tab and signs the chart: on the provider's behalf.
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}/dashboard/providers/")
    page.get_by_role("row", name=provider.get_full_name()).get_by_role("link", name="Masquerade").click()
    page.get_by_label("Reason").fill("Charting while they are away")
    page.get_by_role("button", name="Start masquerading").click()
    page.goto(f"{live_server.url}/provider/visits/{visit.pk}/")
    sign = page.locator("section#sign")
    expect(sign).to_contain_text("the chart is signed by you on their behalf")
    sign.get_by_role("button", name=f"Sign on behalf of {provider.get_full_name()}").click()
    behalf = f"Signed by {admin.get_full_name()} on behalf of {provider.get_full_name()}"
    expect(page.locator("section#sign")).to_contain_text(behalf)
    expect(page.locator("section#sign")).to_contain_text("waits for their co-signature")
    page.get_by_role("button", name="Stop masquerading").click()
    # Its answer sets the admin's own session again: wait for it (sign_in then leaves the page, so that
    # none of its later requests can answer over the provider's session).
    expect(page.get_by_role("button", name="Stop masquerading")).to_have_count(0)

    # The provider finds it in their To-Do and co-signs it, which locks it.
    sign_in(page, live_server, provider)
    page.goto(f"{live_server.url}/provider/todo/")
    cosign = page.locator("section#todo-cosign")
    expect(cosign).to_contain_text(f"signed by {admin.get_full_name()} on your behalf")
    cosign.get_by_role("link", name=world.patient.full_name).click()
    page.locator("section#sign").get_by_role("button", name="Co-sign the chart").click()
    expect(page.locator("section#sign")).to_contain_text(behalf)
    expect(page.locator("section#sign")).to_contain_text(f"Co-signed by {provider.get_full_name()} at")
    expect(page.locator("section#sign")).to_contain_text("The chart is locked")
    visit.refresh_from_db()
    assert visit.is_cosigned and visit.chart_signed_by == provider


def test_the_visit_checkout_shows_a_running_total_as_the_figures_are_typed(
    live_server, page: Page, live_cast
):
    provider = live_cast.provider_a1
    with medspa_scope(live_cast.medspa_a):
        membership = provider.memberships.get()
        world = factories.charting_world(live_cast.medspa_a, membership)
        visit = charting.visit_start_walk_in(
            patient=world.patient, provider=membership, location=world.location, by=provider
        )
        charting.visit_service_add(visit=visit, service=world.service)  # $300
    sign_in(page, live_server, provider)
    page.goto(f"{live_server.url}/provider/visits/{visit.pk}/")
    checkout = page.locator("section#checkout")
    running = checkout.get_by_role("region", name="Running total")
    total, due = running.locator("[data-figure=total]"), running.locator("[data-figure=due]")
    expect(total).to_have_text("$300.00")
    checkout.get_by_label("Tip ($)").fill("1000.5")
    expect(total).to_have_text("$1,300.50")
    checkout.get_by_label("Discount ($)").fill("50")
    expect(total).to_have_text("$1,250.50")
    checkout.get_by_label("Cash ($)", exact=True).fill("200")
    expect(due).to_have_text("$1,050.50")
    checkout.get_by_label("Discount ($)").fill("400")  # more than the subtotal: said at once
    expect(running).to_contain_text("The discount ($400.00) is more than the subtotal ($300.00).")
    with medspa_scope(live_cast.medspa_a):
        assert not Sale.objects.filter(visit=visit).exists()  # nothing was charged
