"""What Stripe keeps and pays out of each card payment, against the local Stripe-compatible server: the fee
and net learned from the charge's balance transaction once it succeeded, the payout that paid it out, a
month reconciled with Stripe's balance transactions to the cent, disputes on the admin's To-Do, and payments
left pending while Stripe was out of reach sent again by the sweep, once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from devtools import stripe_local as local
from medspa import clock
from medspa.models.payments import CardPayment, CardRefund
from medspa.payments import balance, charges, disputes, refunds
from medspa.payments import client as stripe_client
from medspa.payments.reconcile import Totals, stripe_month_reconcile
from medspa.tasks import pending_payments_resend
from medspa.tenancy import medspa_scope
from medspa.tests.test_payments import _charge, _event, _intents, _post
from tests.fixtures import closed_port

D = Decimal


def _requests(path_start: str) -> list[dict]:
    return [r for r in local.recorded if r["path"].startswith(path_start)]


def test_a_card_payment_learns_stripes_fee_and_net_from_its_balance_transaction(
    patient_card, cast, django_capture_on_commit_callbacks
):
    with medspa_scope(cast.medspa_a), django_capture_on_commit_callbacks(execute=True):
        payment = _charge(patient_card, "fee-1", D("125.00"))
    payment.refresh_from_db()
    # Stripe's US card price: 2.9% of $125.00 is $3.625, rounded to $3.63, plus 30¢.
    assert (payment.fee, payment.net) == (D("3.93"), D("121.07"))
    assert payment.balance_transaction_id.startswith("txn_")
    asked = _requests(f"/v1/balance_transactions/{payment.balance_transaction_id}")
    assert asked and asked[-1]["headers"]["Stripe-Account"] == payment.account_id
    assert balance.card_payment_fees_learn(payment_id=payment.pk) is True  # known: Stripe is not asked again
    assert len(_requests(f"/v1/balance_transactions/{payment.balance_transaction_id}")) == len(asked)


def test_fees_unknown_while_stripe_was_unreachable_are_learned_by_the_sweep(
    patient_card, cast, settings, django_capture_on_commit_callbacks
):
    with medspa_scope(cast.medspa_a):
        payment = _charge(patient_card, "fee-later", D("19.99"))
    reachable, settings.STRIPE_API_URL = settings.STRIPE_API_URL, f"http://127.0.0.1:{closed_port()}"
    assert balance.card_payment_fees_learn(payment_id=payment.pk) is False  # logged, not raised
    settings.STRIPE_API_URL = reachable
    assert balance.card_fees_sweep() == 0  # too recent: its own task is still expected to learn it
    assert balance.card_fees_sweep(now=timezone.now() + timedelta(hours=1)) == 1
    with medspa_scope(cast.medspa_a):
        payment.refresh_from_db()
    assert (payment.fee, payment.net) == (D("0.88"), D("19.11"))


def _payout(account: str) -> dict:
    return requests.post(
        f"{django_settings.STRIPE_API_URL}/_test/payouts", data={"account": account}, timeout=10
    ).json()


def test_a_payout_marks_the_payments_it_paid_out_page_after_page(
    client, patient_card, cast, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(balance, "PAGE", 2)  # three payments: two pages of Stripe's list
    with medspa_scope(cast.medspa_a):
        paid = [
            _charge(patient_card, f"payout-{n}", D(amount))
            for n, amount in enumerate(("10.00", "20.00", "30.01"))
        ]
    account = patient_card.customer.account_id
    payout = _payout(account)
    assert payout["amount"] == (1000 - 59) + (2000 - 88) + (3001 - 117)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, _event("payout.paid", payout, account)).content == b"processed"
    listed = [r for r in _requests("/v1/balance_transactions") if ("payout", payout["id"]) in r["query"]]
    assert [dict(r["query"]).get("starting_after") is not None for r in listed] == [False, True]
    with medspa_scope(cast.medspa_a):
        rows = CardPayment.objects.filter(pk__in=[p.pk for p in paid]).order_by("amount")
        assert {(p.payout_id, p.paid_out_at) for p in rows} == {
            (payout["id"], datetime.fromtimestamp(payout["arrival_date"], tz=UTC))
        }
        assert [(p.fee, p.net) for p in rows] == [
            (D("0.59"), D("9.41")), (D("0.88"), D("19.12")), (D("1.17"), D("28.84"))
        ]  # fmt: skip


# --- A month reconciled -------------------------------------------------------------------------------------


def test_a_month_reconciles_with_stripe_to_the_cent_and_names_what_does_not_match(
    client, patient_card, cast, django_capture_on_commit_callbacks
):
    medspa, account = cast.medspa_a, patient_card.customer.account_id
    with medspa_scope(medspa), django_capture_on_commit_callbacks(execute=True):
        big, small, _odd, _tiny = (
            _charge(patient_card, f"month-{n}", D(amount))
            for n, amount in enumerate(("125.00", "19.99", "333.33", "10.01"))
        )
        refunds.card_refund(payment=big, amount=D("50.00"), reason="Part", idempotency_key="month-refund")
    stripe, on_account = stripe_client.client(), stripe_client.options
    # A refund made in Stripe's dashboard, then Stripe's charge.refunded event, which records it here.
    stripe.v1.refunds.create(
        {"charge": small.charge_id}, on_account(idempotency_key="dash-refund", account=account)
    )
    charge = stripe.v1.charges.retrieve(small.charge_id, options=on_account(account=account)).to_dict()
    assert _post(client, _event("charge.refunded", charge, account)).content == b"processed"
    # A charge made in Stripe's dashboard, never through the product: at Stripe only.
    outside = stripe.v1.payment_intents.create(
        {
            "amount": 4200, "currency": "usd", "customer": patient_card.customer.customer_id,
            "payment_method": patient_card.payment_method_id, "payment_method_types": ["card"],
            "confirm": True, "off_session": True,
        },
        on_account(idempotency_key="dash-charge", account=account),
    ).to_dict()  # fmt: skip
    with medspa_scope(medspa):
        assert CardRefund.objects.get(payment=small).reason == "Refunded in Stripe"
        month = stripe_month_reconcile(medspa=medspa, month=clock.today(medspa))
    # Charges 125.00 + 19.99 + 333.33 + 10.01 (+ 42.00 at Stripe only), refunds 50.00 and 19.99; fees
    # 3.93 + 0.88 + 9.97 + 0.59 (+ 1.52); a refund's own fee is nothing.
    assert month.stripe == Totals(D("460.34"), D("16.89"), D("443.45"))
    assert month.here == Totals(D("418.34"), D("15.37"), D("402.97"))
    assert month.difference == Totals(D("42.00"), D("1.52"), D("40.48"))
    assert month.matched == 6 and not month.balanced
    [mismatch] = month.mismatches
    assert mismatch.here is None and mismatch.problem == "at Stripe, not recorded here"
    assert (mismatch.stripe.stripe_id, mismatch.stripe.figures) == (
        charges._charge_id(outside),
        Totals(D("42.00"), D("1.52"), D("40.48")),
    )


def test_a_fee_recorded_wrong_or_a_payment_stripe_does_not_have_is_named(
    patient_card, cast, django_capture_on_commit_callbacks
):
    medspa = cast.medspa_a
    with medspa_scope(medspa), django_capture_on_commit_callbacks(execute=True):
        right = _charge(patient_card, "right", D("80.00"))
        wrong = _charge(patient_card, "wrong", D("60.00"))
    with medspa_scope(medspa):
        CardPayment.objects.filter(pk=wrong.pk).update(fee=D("2.00"), net=D("58.00"))  # Stripe kept $2.04
        ghost = CardPayment.objects.create(
            medspa=medspa, purpose=CardPayment.Purpose.DEPOSIT, account_id=right.account_id, amount=D("5.00"),
            description="Deposit", idempotency_key="ghost", payment_intent_id="pi_ghost",
            charge_id="ch_ghost",
            status=CardPayment.Status.SUCCEEDED, succeeded_at=timezone.now(), fee=D("0.45"), net=D("4.55"),
        )  # fmt: skip
        month = stripe_month_reconcile(medspa=medspa, month=clock.today(medspa))
    assert month.stripe == Totals(D("140.00"), D("4.66"), D("135.34"))  # fees 2.62 + 2.04
    assert month.here == Totals(D("145.00"), D("5.07"), D("139.93"))  # 2.62 + 2.00 + 0.45
    assert month.matched == 1
    assert [(m.stripe is not None, m.here is not None, m.problem) for m in month.mismatches] == [
        (True, True, "fee $2.04 and net $57.96 at Stripe, $2.00 and $58.00 here"),
        (False, True, "recorded here, not at Stripe this month (ch_ghost)"),
    ]
    assert ghost.charge_id == "ch_ghost"


def test_another_medspas_card_money_is_not_in_the_month(patient_card, cast):
    with medspa_scope(cast.medspa_a):
        _charge(patient_card, "mine", D("30.00"))
    with medspa_scope(cast.medspa_b), pytest.raises(stripe_client.PaymentError, match="not connected"):
        stripe_month_reconcile(medspa=cast.medspa_b, month=clock.today(cast.medspa_b))


# --- Disputes on the admin's To-Do -----------------------------------------------------------------------


def _dispute(payment, reason="product_unacceptable", amount=None) -> dict:
    """A dispute as Stripe makes it (the local server's test control), due Jan 15, 2027 04:59:59 UTC."""
    made = requests.post(
        f"{django_settings.STRIPE_API_URL}/_test/disputes",
        data={"charge": payment.charge_id, "reason": reason, **({"amount": amount} if amount else {})},
        timeout=10,
    ).json()
    made["evidence_details"] = {**(made.get("evidence_details") or {}), "due_by": 1799989199}
    return made


def test_a_dispute_is_on_the_admins_to_do_until_stripe_closes_it(client_as, client, patient_card, cast):
    with medspa_scope(cast.medspa_a):
        payment = _charge(patient_card, "to-dispute", D("240.00"))
    made = _dispute(payment, amount=24000)
    account = payment.account_id
    admin = client_as("admin_a")
    assert "Nothing to do." in admin.get(reverse("dashboard_home")).content.decode()
    assert _post(client, _event("charge.dispute.created", made, account)).content == b"processed"

    page = admin.get(reverse("dashboard_home")).content.decode()
    assert "$240.00 disputed" in page
    assert "The patient says the service or product was not as described" in page
    assert "Evidence due Jan 14, 2027 11:59 PM EST" in page  # medspa A's zone: New York
    assert "Respond in Stripe" not in page and made["id"] in page  # the local server has no dashboard
    assert made["id"] not in client_as("admin_b").get(reverse("dashboard_home")).content.decode()

    closed = {**made, "id": made["id"], "status": "lost"}
    event = _event("charge.dispute.closed", closed, account)
    assert _post(client, event).content == b"processed"
    page = admin.get(reverse("dashboard_home")).content.decode()
    assert made["id"] not in page and "Nothing to do." in page


def test_a_dispute_won_leaves_the_to_do_and_one_under_review_waits_for_the_bank(
    client_as, client, patient_card, cast
):
    with medspa_scope(cast.medspa_a):
        payment = _charge(patient_card, "to-dispute-2", D("75.50"))
    made = _dispute(payment, reason="fraudulent")
    account = payment.account_id
    _post(client, _event("charge.dispute.created", made, account))
    reviewed = _event("charge.dispute.updated", {**made, "status": "under_review"}, account)
    reviewed["id"] += "_review"
    _post(client, reviewed)
    page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
    assert "$75.50 disputed" in page and "Evidence sent: the bank is reviewing it" in page
    assert "The cardholder says they did not make this payment" in page
    _post(client, _event("charge.dispute.closed", {**made, "status": "won"}, account))
    assert made["id"] not in client_as("admin_a").get(reverse("dashboard_home")).content.decode()


def test_respond_in_stripe_opens_the_payment_in_stripes_dashboard(settings, db, cast):
    from medspa.models.payments import Dispute

    payment = CardPayment(payment_intent_id="pi_123")
    dispute = Dispute(payment=payment)
    settings.STRIPE_API_URL, settings.STRIPE_SECRET_KEY = "https://api.stripe.com", "sk_live_x"
    assert disputes.respond_url(dispute) == "https://dashboard.stripe.com/payments/pi_123"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert disputes.respond_url(dispute) == "https://dashboard.stripe.com/test/payments/pi_123"
    settings.STRIPE_API_URL = "http://127.0.0.1:8420"
    assert disputes.respond_url(dispute) == ""
    assert disputes.reason_in_words("duplicate") == "The patient says they were charged twice"
    assert disputes.reason_in_words("something_new") == "Something new"


# --- Payments left pending ------------------------------------------------------------------------------


def test_a_payment_left_pending_while_stripe_was_unreachable_is_sent_again_once_by_the_sweep(
    patient_card, cast, settings
):
    reachable, settings.STRIPE_API_URL = settings.STRIPE_API_URL, f"http://127.0.0.1:{closed_port()}"
    with medspa_scope(cast.medspa_a), pytest.raises(stripe_client.StripeUnavailable):
        _charge(patient_card, "unreachable-1", D("64.00"))
    with medspa_scope(cast.medspa_a):
        payment = CardPayment.objects.get(idempotency_key="unreachable-1")
        assert (payment.status, payment.payment_intent_id) == (CardPayment.Status.PENDING, None)
        settings.STRIPE_API_URL = reachable
        assert pending_payments_resend.apply().get() == 0  # too recent: the person may still be retrying
        CardPayment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=5))
        assert pending_payments_resend.apply().get() == 1
        assert pending_payments_resend.apply().get() == 0  # settled: not sent again
        payment.refresh_from_db()
    assert payment.status == CardPayment.Status.SUCCEEDED
    at_stripe = [
        obj for key, obj in local.resources.store.items()
        if key.startswith("payment_intent:") and (obj.metadata or {}).get("card_payment") == str(payment.pk)
    ]  # fmt: skip
    assert [(i.id, i.status) for i in at_stripe] == [(payment.payment_intent_id, "succeeded")]
    assert [r["headers"]["Idempotency-Key"] for r in _intents("unreachable-1")] == ["unreachable-1"]


def test_the_sweep_runs_every_few_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["pending-payments-resend"]
    assert entry["task"] == "medspa.tasks.pending_payments_resend" and entry["schedule"] <= 300
    assert django_settings.CELERY_BEAT_SCHEDULE["card-fees-sweep"]["task"] == "medspa.tasks.card_fees_sweep"
