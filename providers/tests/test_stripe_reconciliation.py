"""The Medspa Admin's Stripe reconciliation under Earnings: the month's card money against Stripe's records
(the local Stripe-compatible server), each card payment's fee, net and payout, the month picker, the empty
state of a medspa not connected, a constant number of queries, and Stripe's fees on the Earnings summary."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from medspa import clock
from medspa.models.payments import CardPayment
from medspa.tenancy import medspa_scope
from medspa.tests.test_payments import _charge
from tests import factories

D = Decimal
URL = reverse("providers:admin_stripe_reconciliation")


def test_a_medspa_not_connected_gets_an_empty_state(client_as, cast):
    page = client_as("admin_b").get(URL).content.decode()
    assert "Your Stripe account is not connected." in page and "reconciliation-totals" not in page


def test_the_month_balances_and_each_payment_shows_its_fee_net_and_payout(
    client_as, patient_card, cast, django_capture_on_commit_callbacks
):
    with medspa_scope(cast.medspa_a), django_capture_on_commit_callbacks(execute=True):
        first = _charge(patient_card, "page-1", D("125.00"))
        _charge(patient_card, "page-2", D("19.99"))
    with medspa_scope(cast.medspa_a):
        CardPayment.objects.filter(pk=first.pk).update(payout_id="po_test_1", paid_out_at=timezone.now())
    page = client_as("admin_a").get(URL).content.decode()
    assert "Balanced: every charge and refund of the month (2) matches" in page
    totals = page[
        page.index('id="reconciliation-totals"') : page.index("</table>", page.index("reconciliation-totals"))
    ]
    assert totals.count("$144.99") == 2 and totals.count("$4.81") == 2 and totals.count("$140.18") == 2
    table = page[page.index('id="card-payments"') :]
    for text in ("$125.00", "$3.93", "$121.07", "po_test_1", "$19.99", "$0.88", "$19.11", "not paid out yet"):
        assert text in table
    assert "Visa 4242" in table


def test_another_month_and_a_bad_month(client_as, patient_card, cast):
    with medspa_scope(cast.medspa_a):
        _charge(patient_card, "page-3", D("50.00"))
    admin = client_as("admin_a")
    today = clock.today(cast.medspa_a)
    last_year = f"{today.year - 1}-{today.month:02d}"
    page = admin.get(URL, {"month": last_year}).content.decode()
    assert "No card payments in" in page and "$50.00" not in page and "Balanced" in page
    assert (
        "That month has not begun yet." in admin.get(URL, {"month": f"{today.year + 1}-01"}).content.decode()
    )
    assert "Enter a month, like 2026-03." in admin.get(URL, {"month": "March"}).content.decode()


def _bulk(medspa, account_id: str, count: int) -> None:
    now = timezone.now()
    CardPayment.objects.bulk_create(
        CardPayment(
            medspa=medspa, purpose=CardPayment.Purpose.CHECKOUT, account_id=account_id,
            amount=D("10.00") + n, description="Visit", idempotency_key=f"bulk-{count}-{n}",
            payment_intent_id=f"pi_bulk_{count}_{n}",
            charge_id=f"ch_bulk_{count}_{n}", status=CardPayment.Status.SUCCEEDED,
            succeeded_at=now - timedelta(seconds=n), fee=D("0.59"), net=D("9.41") + n,
        )
        for n in range(count)
    )  # fmt: skip


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_makes_the_same_number_of_queries_however_many_payments(
    client_as, stripe_connected, cast, count, django_assert_num_queries
):
    with medspa_scope(cast.medspa_a):
        _bulk(cast.medspa_a, stripe_connected.account_id, count)
    admin = client_as("admin_a")
    admin.get(URL)  # the session settles before counting
    with django_assert_num_queries(PAGE_QUERIES):
        page = admin.get(URL).content.decode()
    assert "recorded here, not at Stripe this month (ch_bulk_" in page  # made here only: Stripe has none
    payments = page[page.index('id="card-payments"') :]
    assert payments.count("<tr>") == min(count, 25) + 1  # one page of payments, under its header row
    assert ("Page 1 of 2" in payments) == (count > 25)


# The request's own (session, user, memberships, MFA check, the audit context, the session's save: savepoint,
# update, release, and the audit context again) = 9; the Stripe account = 1; the reconciliation: the Stripe
# account, the month's payments, its refunds = 3 (and, only when Stripe lists rows not among them, two
# look-ups of those ids in other months); the page of payments and its count = 2.
PAGE_QUERIES = 15


def test_the_earnings_summary_shows_stripes_fees_of_the_period(
    client_as, patient_card, cast, provider, django_capture_on_commit_callbacks
):
    world = factories.charting_world(cast.medspa_a, provider)
    factories.paid_visit(world, provider, provider.user)
    with medspa_scope(cast.medspa_a), django_capture_on_commit_callbacks(execute=True):
        _charge(patient_card, "fees-1", D("125.00"))
        _charge(patient_card, "fees-2", D("333.33"))
    page = client_as("admin_a").get(reverse("providers:admin_earnings")).content.decode()
    assert "Stripe's card fees in the period: <strong>$13.90</strong>" in page  # 3.93 + 9.97
    assert URL in page
    mine = client_as("provider_a1").get(reverse("providers:earnings")).content.decode()
    assert "card fees" not in mine


def test_the_admin_answers_a_dispute_from_the_to_do_and_reconciles_the_month_in_a_browser(
    live_cast, live_server, page, stripe_local, patient_card
):
    """Stripe's own delivery: the local server disputes the charge and sends charge.dispute.created to the
    live server's Connect endpoint, signed; the admin's To-Do shows it, and the reconciliation balances."""
    import requests
    from django_scopes import scopes_disabled
    from playwright.sync_api import expect

    from medspa.models.payments import Dispute
    from tests.browser import screenshot, sign_in
    from tests.fixtures import STRIPE_CONNECT_WEBHOOK_SECRET

    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )
    with medspa_scope(live_cast.medspa_a):
        payment = _charge(patient_card, "browser-1", D("180.00"))
    stripe_local.webhooks(
        connect=(live_server.url + reverse("stripe_connect_webhook"), STRIPE_CONNECT_WEBHOOK_SECRET)
    )
    requests.post(f"{stripe_local.url}/_test/disputes", data={"charge": payment.charge_id}, timeout=10)
    deadline = timezone.now() + timedelta(seconds=20)
    with scopes_disabled():
        while not Dispute.objects.filter(payment=payment).exists():
            assert timezone.now() < deadline, "the dispute event did not arrive"
        due = clock.local(Dispute.objects.get(payment=payment).evidence_due_by, live_cast.medspa_a)
    assert due.date() == clock.today(live_cast.medspa_a) + timedelta(days=7)
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(live_server.url + reverse("dashboard_home"))
    todo = page.locator("#todo-disputes")
    expect(todo).to_contain_text("$180.00 disputed")
    expect(todo).to_contain_text("The cardholder says they did not make this payment")
    expect(todo).to_contain_text(f"Evidence due {due:%b} {due.day}, {due.year}")
    screenshot(page, "admin-todo-dispute")
    page.goto(live_server.url + reverse("providers:admin_earnings"))
    page.get_by_role("link", name="Stripe reconciliation").click()
    expect(page.get_by_role("status")).to_contain_text("Balanced")
    expect(page.locator("#card-payments")).to_contain_text("$174.48")  # $180.00 less $5.52
    screenshot(page, "stripe-reconciliation")
    last_year = clock.today(live_cast.medspa_a).replace(day=1, year=clock.today(live_cast.medspa_a).year - 1)
    page.get_by_label("Month", exact=True).fill(f"{last_year:%Y-%m}")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No card payments in")).to_be_visible()
    assert violations == []
