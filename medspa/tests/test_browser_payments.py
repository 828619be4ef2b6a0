"""Account settings → Payments through a real Chromium, against the local Stripe-compatible server: the
admin connects a Standard account, finishes the (stand-in) hosted onboarding, comes back to "charges
enabled", then types the card for Portrait's bills into the card field (localstripe's Stripe.js stand-in,
served by the local server, as Stripe.js is served by Stripe), sees it on file and removes it (after the
confirmation)."""

import re

import pytest
from playwright.sync_api import Page, expect

from medspa.models.payments import StripeAccount
from medspa.payments import cards
from medspa.tenancy import medspa_scope
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser


def test_an_admin_connects_stripe_and_adds_the_card_for_portraits_bills(
    live_server, page: Page, live_cast, stripe_local
):
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/settings/")
    payments = page.get_by_role("region", name="Payments")
    expect(payments).to_contain_text("Not connected.")
    expect(payments.get_by_label("Standard (the medspa's own Stripe dashboard)")).to_be_checked()
    payments.get_by_role("button", name="Connect with Stripe").click()

    # Stripe's hosted onboarding (the local server's stand-in for it), on Stripe's side.
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_local.url)}/_connect/onboarding/acct_\w+\?"))
    expect(page.get_by_role("heading", name="Stripe onboarding (local stand-in)")).to_be_visible()
    page.get_by_role("button", name="Finish onboarding").click()

    # Back through the return page: Stripe is asked, the panel says what it answered.
    expect(page).to_have_url(f"{live_server.url}/dashboard/settings/#payments")
    expect(page.get_by_text("Your Stripe account is connected: card payments go to it.")).to_be_visible()
    payments = page.get_by_role("region", name="Payments")
    expect(payments).to_contain_text("charges enabled")
    with medspa_scope(live_cast.medspa_a):
        account = StripeAccount.objects.get(medspa=live_cast.medspa_a)
    assert account.charges_enabled and account.connected_by == live_cast.admin_a
    expect(payments).to_contain_text(account.account_id)
    screenshot(page, "payments_connected")

    payments.get_by_role("link", name="Add card").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/settings/payments/card/"))
    field = page.locator("[data-stripe-card]")
    for placeholder, value in (
        ("number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "30"),  # the stand-in takes two digits, as Stripe's own field does
        ("cvc", "123"),
        ("postal_code", "10001"),
    ):
        field.get_by_placeholder(placeholder, exact=True).fill(value)
    page.get_by_role("button", name="Save card").click()

    expect(page).to_have_url(f"{live_server.url}/dashboard/settings/#payments")
    expect(page.get_by_text("Visa ending 4242 is the card for Portrait's bills.")).to_be_visible()
    payments = page.get_by_role("region", name="Payments")
    expect(payments).to_contain_text("Visa ending 4242, expires 12/30")
    expect(payments.get_by_role("link", name="Replace card")).to_be_visible()
    with medspa_scope(live_cast.medspa_a):
        card = cards.medspa_card(live_cast.medspa_a)
    assert (card.last4, card.exp_month, card.exp_year, card.added_by) == ("4242", 12, 2030, live_cast.admin_a)
    screenshot(page, "payments_card_for_bills")

    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    payments.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("region", name="Payments")).to_contain_text("No card on file.")
    assert questions == [
        "Remove Visa ending 4242 as the card for Portrait's bills? "
        "It is taken off file at Stripe and cannot be charged again."
    ]
