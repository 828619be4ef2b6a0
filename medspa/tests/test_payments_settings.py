"""Account settings → Payments, through the pages: connecting the medspa's Stripe account (Standard or
Express) and coming back from Stripe's onboarding, and the medspa's card for Portrait's bills, against the
local Stripe-compatible server (devtools/stripe_local.py); who may do it, and that another medspa sees none
of it."""

import re

import requests
from django.apps import apps
from django.contrib.messages import get_messages

from devtools import stripe_local as local
from medspa.models.payments import SavedCard, StripeAccount
from medspa.payments import cards
from medspa.payments.cards import CardSetup
from medspa.tenancy import medspa_scope
from tests.fixtures import stripe_js_confirm

SETTINGS = "/dashboard/settings/"
CONNECT = "/dashboard/settings/payments/connect/"
RETURN = "/dashboard/settings/payments/return/"
REFRESH = "/dashboard/settings/payments/refresh/"
CARD = "/dashboard/settings/payments/card/"


def _account(medspa) -> StripeAccount | None:
    with medspa_scope(medspa):
        return StripeAccount.objects.filter(medspa=medspa).select_related("connected_by").first()


def _onboarding(response, stripe_local) -> str:
    """The onboarding link the page sent the admin to: the local server's stand-in for Stripe's page."""
    assert response.status_code == 302, response.status_code
    url = response["Location"]
    assert url.startswith(f"{stripe_local.url}/_connect/onboarding/acct_"), url
    return url


def _said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _panel(client) -> str:
    page = client.get(SETTINGS).content.decode()
    return page[page.index('id="payments"') : page.index('id="billing"')]


def _card_setup(client) -> CardSetup:
    """The SetupIntent the card page handed Stripe.js (its client secret, in the card field's data)."""
    page = client.get(CARD)
    assert page.status_code == 200
    secret = re.search(r'data-client-secret="(seti_\w+?)_secret_\w+"', page.content.decode())
    assert secret is not None
    return CardSetup(
        secret.group(1), re.search(r'data-client-secret="([^"]+)"', page.content.decode())[1], ""
    )


def _confirm_card(stripe_local, setup: CardSetup, number: str) -> dict:
    """Stripe.js confirming a card typed into its field, as the stand-in of localstripe-v3.js sends it."""
    return requests.post(
        f"{stripe_local.url}/v1/setup_intents/{setup.setup_intent_id}/confirm",
        json={
            "key": "pk_test_local",
            "client_secret": setup.client_secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "10", "exp_year": "2031", "cvc": "123"},
            },
        },
        timeout=10,
    ).json()


def test_without_stripe_the_panel_says_so_and_offers_nothing(client_as, cast):
    client = client_as("admin_a")
    panel = _panel(client)
    assert "Card payments through Stripe are not set up for Portrait yet" in panel
    assert "Connect with Stripe" not in panel and "Add card" not in panel
    response = client.post(CONNECT, {"account_type": "standard"})
    assert response.status_code == 302 and response["Location"] == SETTINGS + "#payments"
    assert _said(response) == ["Card payments through Stripe are not set up for Portrait yet."]
    for url in (RETURN, REFRESH, CARD):
        answer = client.get(url)
        assert answer["Location"] == SETTINGS + "#payments"
        assert _said(answer)[-1] == "Card payments through Stripe are not set up for Portrait yet."
    assert _account(cast.medspa_a) is None


def test_an_admin_connects_a_standard_account_and_a_second_click_finds_the_same_one(
    stripe_local, client_as, cast
):
    client = client_as("admin_a")
    panel = _panel(client)
    assert "Not connected. Until you connect your own Stripe account, checkout records cards" in panel
    first = len(local.recorded)
    link = _onboarding(client.post(CONNECT, {"account_type": "standard"}), stripe_local)
    account = _account(cast.medspa_a)
    assert (account.account_type, account.connected_by, account.charges_enabled) == (
        "standard",
        cast.admin_a,
        False,
    )
    assert link.startswith(f"{stripe_local.url}/_connect/onboarding/{account.account_id}?")
    assert "settings%2Fpayments%2Freturn" in link and "settings%2Fpayments%2Frefresh" in link

    again = _onboarding(client.post(CONNECT, {"account_type": "express"}), stripe_local)
    assert again.startswith(f"{stripe_local.url}/_connect/onboarding/{account.account_id}?")
    with medspa_scope(cast.medspa_a):
        assert StripeAccount.objects.filter(medspa=cast.medspa_a).count() == 1
    made = [r for r in local.recorded[first:] if r["path"] == "/v1/accounts" and r["method"] == "POST"]
    assert len(made) == 1 and made[0]["form"]["type"] == "standard"
    assert made[0]["form"]["business_profile[name]"] == cast.medspa_a.display_name

    panel = _panel(client)
    assert "details still needed" in panel and "Continue onboarding" in panel
    assert account.account_id in panel and f"by {cast.admin_a.get_full_name()}" in panel


def test_an_express_account_asks_stripe_for_card_payments_and_transfers(stripe_local, client_as, cast):
    client = client_as("admin_b")
    first = len(local.recorded)
    _onboarding(client.post(CONNECT, {"account_type": "express"}), stripe_local)
    account = _account(cast.medspa_b)
    assert account.account_type == "express" and account.connected_by == cast.admin_b
    made = next(r for r in local.recorded[first:] if r["path"] == "/v1/accounts")
    assert made["form"]["type"] == "express"
    assert made["form"]["capabilities[card_payments][requested]"] == "true"
    assert made["form"]["capabilities[transfers][requested]"] == "true"
    assert f"{account.account_id} (Express)" in _panel(client)


def test_a_connect_without_a_kind_of_account_is_refused(stripe_local, client_as, cast):
    response = client_as("admin_a").post(CONNECT, {"account_type": "custom"})
    assert response.status_code == 302 and _said(response) == ["Choose Standard or Express."]
    assert _account(cast.medspa_a) is None


def test_the_return_page_shows_what_stripe_says_of_the_account(stripe_local, client_as, cast):
    client = client_as("admin_a")
    link = _onboarding(client.post(CONNECT, {"account_type": "standard"}), stripe_local)

    early = client.get(RETURN)  # back from Stripe without finishing
    assert early.status_code == 302 and early["Location"] == SETTINGS + "#payments"
    assert "Stripe still needs some details" in _said(early)[0]
    assert "details still needed" in _panel(client)

    finished = requests.post(link, allow_redirects=False, timeout=10)  # the hosted page's button
    assert finished.status_code == 302 and finished.headers["Location"].endswith(RETURN)
    back = client.get(RETURN)
    assert _said(back) == ["Your Stripe account is connected: card payments go to it."]
    account = _account(cast.medspa_a)
    assert account.charges_enabled and account.payouts_enabled and account.checked_at is not None
    panel = _panel(client)
    assert "charges enabled" in panel and "payouts <strong>enabled</strong>" in panel
    assert account.account_id in panel and "Continue onboarding" not in panel


def test_an_expired_onboarding_link_is_replaced_by_a_fresh_one(stripe_local, client_as, cast):
    client = client_as("admin_a")
    nothing_yet = client.get(REFRESH)
    assert nothing_yet["Location"] == SETTINGS + "#payments"
    assert _said(nothing_yet) == ["No Stripe account is connected yet: choose Standard or Express."]
    first = _onboarding(client.post(CONNECT, {"account_type": "standard"}), stripe_local)
    fresh = _onboarding(client.get(REFRESH), stripe_local)
    account_path = first.split("?")[0]
    assert fresh.split("?")[0] == account_path  # the same account, a new link
    with medspa_scope(cast.medspa_a):
        assert StripeAccount.objects.count() == 1


def test_providers_are_refused_and_another_medspas_admin_sees_nothing_of_it(
    stripe_local, stripe_connected, client_as, cast
):
    provider = client_as("provider_a1")
    assert provider.post(CONNECT, {"account_type": "standard"}).status_code == 403
    assert [provider.get(url).status_code for url in (RETURN, REFRESH, CARD)] == [403, 403, 403]
    other = client_as("admin_b")
    panel = _panel(other)
    assert stripe_connected.account_id not in panel and "Not connected" in panel
    _onboarding(other.post(CONNECT, {"account_type": "standard"}), stripe_local)
    assert _account(cast.medspa_b).account_id != stripe_connected.account_id
    assert _account(cast.medspa_a).account_id == stripe_connected.account_id


def test_portrait_staff_masquerading_as_the_admin_may_connect(stripe_local, client_as, cast):
    staff = client_as("staff")
    assert staff.post(CONNECT, {"account_type": "standard"}).status_code == 403  # no medspa of their own
    staff.post(f"/masquerade/{cast.admin_a.pk}/", {"reason": "Setting up payments on their call"})
    _onboarding(staff.post(CONNECT, {"account_type": "standard"}), stripe_local)
    account = _account(cast.medspa_a)
    assert account.connected_by == cast.admin_a  # the account acted as; the audit names who really did it
    made = apps.get_model("medspa", "StripeAccountEvent").objects.get(
        pgh_obj_id=account.pk, pgh_label="insert"
    )
    assert (made.pgh_context["user"], made.pgh_context["impersonator"]) == (cast.admin_a.pk, cast.staff.pk)


def test_the_card_for_portraits_bills_is_added_replaced_and_removed(stripe_local, client_as, cast):
    client = client_as("admin_a")
    assert "No card on file" in _panel(client) and "Add card" in _panel(client)
    setup = _card_setup(client)
    assert _confirm_card(stripe_local, setup, "4242424242424242")["status"] == "succeeded"
    saved = client.post(CARD, {"setup_intent": setup.setup_intent_id})
    assert saved.status_code == 302 and saved["Location"] == SETTINGS + "#payments"
    assert _said(saved) == ["Visa ending 4242 is the card for Portrait's bills."]
    with medspa_scope(cast.medspa_a):
        card = cards.medspa_card(cast.medspa_a)
        assert (card.last4, card.via, card.added_by, card.customer.account_id) == (
            "4242",
            SavedCard.Via.ACCOUNT,
            cast.admin_a,
            "",  # Portrait's own account: the platform customer, not a connected account's
        )
    panel = _panel(client)
    assert "Visa ending 4242, expires 10/31" in panel and "Replace card" in panel

    replacing = _card_setup(client)
    _confirm_card(stripe_local, replacing, "5555555555554444")
    client.post(CARD, {"setup_intent": replacing.setup_intent_id})
    with medspa_scope(cast.medspa_a):
        replaced = SavedCard.objects.get(pk=card.pk)
        new = cards.medspa_card(cast.medspa_a)
    assert (replaced.removed_by, new.last4, new.customer_id) == (cast.admin_a, "4444", card.customer_id)
    assert "ending 4444" in _panel(client) and "ending 4242" not in _panel(client)

    removed = client.post(f"/dashboard/settings/payments/card/{new.pk}/remove/")
    assert removed.status_code == 302 and "ending 4444 was removed." in _said(removed)[0]
    with medspa_scope(cast.medspa_a):
        assert cards.medspa_card(cast.medspa_a) is None
        assert SavedCard.objects.get(pk=new.pk).removed_by == cast.admin_a
    assert any(r["path"] == f"/v1/payment_methods/{new.payment_method_id}/detach" for r in local.recorded)
    assert "No card on file" in _panel(client)


def test_a_card_set_up_elsewhere_is_not_saved_as_the_medspas(stripe_local, client_as, cast):
    foreign = _card_setup(client_as("admin_b"))  # medspa B's own SetupIntent
    stripe_js_confirm(stripe_local, foreign)
    client = client_as("admin_a")
    refused = client.post(CARD, {"setup_intent": foreign.setup_intent_id})
    assert refused.status_code == 302 and refused["Location"] == CARD
    assert _said(refused) == ["That card was not set up for this patient."]
    assert client.post(CARD, {}).status_code == 400  # no card entered: the form again
    with medspa_scope(cast.medspa_a):
        assert cards.medspa_card(cast.medspa_a) is None


def test_another_medspas_admin_cannot_remove_the_card(stripe_local, client_as, cast):
    client = client_as("admin_a")
    setup = _card_setup(client)
    stripe_js_confirm(stripe_local, setup)
    client.post(CARD, {"setup_intent": setup.setup_intent_id})
    with medspa_scope(cast.medspa_a):
        card = cards.medspa_card(cast.medspa_a)
    assert (
        client_as("admin_b").post(f"/dashboard/settings/payments/card/{card.pk}/remove/").status_code == 404
    )
    assert (
        client_as("provider_a1").post(f"/dashboard/settings/payments/card/{card.pk}/remove/").status_code
        == 403
    )
    with medspa_scope(cast.medspa_a):
        assert cards.medspa_card(cast.medspa_a) == card
