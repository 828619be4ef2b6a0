"""The core's payments through Stripe, against the local Stripe-compatible server (devtools/stripe_local.py):
a connected account, a card on file, charges and refunds that move money once whatever is retried, and
Stripe's signed events kept and processed once. Every request made here is checked against Stripe's
published specification when each test ends (the stripe_local fixture)."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse

from devtools import stripe_local as local
from medspa.models.payments import CardPayment, CardRefund, Dispute, SavedCard, StripeEvent
from medspa.payments import cards, charges, client, refunds
from medspa.tenancy import medspa_scope
from tests import factories
from tests.fixtures import STRIPE_CONNECT_WEBHOOK_SECRET, at_once, stripe_js_confirm
from tests.stripe_contract import violations


def _charge(card, key, amount=Decimal("125.00")):
    return charges.card_charge(
        medspa=card.medspa,
        purpose=CardPayment.Purpose.CHECKOUT,
        amount=amount,
        card=card,
        description="Visit",
        idempotency_key=key,
    )


def _intents(key):
    return [
        r
        for r in local.recorded
        if r["path"] == "/v1/payment_intents" and r["headers"].get("Idempotency-Key") == key
    ]


def test_a_card_saved_shows_brand_and_last_four_only(patient_card, cast):
    with medspa_scope(cast.medspa_a):
        card = SavedCard.objects.get(pk=patient_card.pk)
    assert (card.brand, card.last4, str(card)) == ("visa", "4242", "Visa ending 4242")
    assert card.customer.account_id == cast.medspa_a.stripe_account.account_id
    assert not any(field.name in ("number", "cvc") for field in SavedCard._meta.fields)


def test_a_double_click_charges_once(patient_card, cast):
    with medspa_scope(cast.medspa_a):
        first = _charge(patient_card, "checkout-1")
        second = _charge(patient_card, "checkout-1")
        assert first.pk == second.pk and first.status == CardPayment.Status.SUCCEEDED
        assert CardPayment.objects.filter(idempotency_key="checkout-1").count() == 1
    assert first.payment_intent_id.startswith("pi_") and first.charge_id.startswith("ch_")
    assert len(_intents("checkout-1")) == 1  # the row answered the second click; Stripe was asked once


def test_the_same_key_sent_again_is_replayed_by_stripe_not_charged_again(patient_card, cast):
    with medspa_scope(cast.medspa_a):
        payment = _charge(patient_card, "checkout-2")
        CardPayment.objects.filter(pk=payment.pk).update(status=CardPayment.Status.PENDING, succeeded_at=None)
        payment.refresh_from_db()
        again = charges.payment_intent_send(payment)
    assert again.payment_intent_id == payment.payment_intent_id
    assert len(_intents("checkout-2")) == 2
    charged = [obj for key, obj in local.resources.store.items() if key.startswith("charge:")]
    assert sum(1 for charge in charged if charge.payment_intent == payment.payment_intent_id) == 1


def test_a_declined_card_is_a_clear_error_and_nothing_is_paid(stripe_local, stripe_connected, cast):
    medspa = cast.medspa_a
    patient = factories.PatientFactory(medspa=medspa)
    with medspa_scope(medspa):
        customer = cards.customer_for(medspa=medspa, patient=patient)
        setup = cards.card_setup_start(customer=customer)
        stripe_js_confirm(stripe_local, setup, "pm_card_chargeCustomerFail")
        card = cards.card_save(
            customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.ONLINE
        )
        with pytest.raises(client.CardDeclined, match="declined"):
            _charge(card, "declined-1")
        payment = CardPayment.objects.get(idempotency_key="declined-1")
    assert payment.status == CardPayment.Status.FAILED and payment.succeeded_at is None
    assert payment.failure_message == "Your card was declined."


def test_a_card_removed_is_detached_at_stripe_and_cannot_be_charged(patient_card, cast):
    with medspa_scope(cast.medspa_a):
        cards.card_remove(card=patient_card, by=cast.admin_a)
        with pytest.raises(client.PaymentError, match="no longer on file"):
            _charge(patient_card, "after-removal")
    assert any(r["path"].endswith(f"/{patient_card.payment_method_id}/detach") for r in local.recorded)
    assert local.resources.PaymentMethod._api_retrieve(patient_card.payment_method_id).customer is None


def test_refunds_never_exceed_the_payment(patient_card, cast):
    with medspa_scope(cast.medspa_a):
        payment = _charge(patient_card, "refund-me", Decimal("100.00"))
        refunds.card_refund(payment=payment, amount=Decimal("60.00"), reason="Part", idempotency_key="r-1")
        again = refunds.card_refund(
            payment=payment, amount=Decimal("60.00"), reason="Part", idempotency_key="r-1"
        )
        assert again.status == CardRefund.Status.SUCCEEDED and again.refund_id.startswith("re_")
        with pytest.raises(client.PaymentError, match=r"At most \$40.00"):
            refunds.card_refund(
                payment=payment, amount=Decimal("40.01"), reason="Too much", idempotency_key="r-2"
            )
        assert refunds.card_refundable(payment) == Decimal("40.00")


@pytest.mark.django_db(transaction=True)
@pytest.mark.scopes_disabled(reason="twenty threads, each its own connection, race refunds of one payment")
def test_twenty_refunds_at_once_give_back_at_most_what_was_paid(stripe_local, stripe_connected, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    customer = cards.customer_for(medspa=cast.medspa_a, patient=patient)
    setup = cards.card_setup_start(customer=customer)
    stripe_js_confirm(stripe_local, setup)
    card = cards.card_save(customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.ONLINE)
    payment = _charge(card, "race-pay", Decimal("100.00"))
    outcomes = at_once(
        20,
        lambda index: refunds.card_refund(
            payment=payment, amount=Decimal("15.00"), reason="Race", idempotency_key=f"race-{index}"
        ),
    )
    refunded = [outcome for outcome in outcomes if isinstance(outcome, CardRefund)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, client.PaymentError)]
    assert len(refunded) == 6 and len(refused) == 14  # 6 × $15 ≤ $100 < 7 × $15
    assert sum(r.amount for r in CardRefund.objects.filter(payment=payment, status="succeeded")) == Decimal(
        "90.00"
    )
    stripe_refunds = [obj for key, obj in local.resources.store.items() if key.startswith("refund:")]
    assert sum(r.amount for r in stripe_refunds if r.charge == payment.charge_id) == 9000


# --- Events ----------------------------------------------------------------------------------------------


def _signed(event: dict, *, secret=STRIPE_CONNECT_WEBHOOK_SECRET, at=None) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    stamp = int(at if at is not None else time.time())
    signature = hmac.new(secret.encode(), b"%d.%s" % (stamp, payload), hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={signature}"


def _event(kind: str, data: dict, account: str) -> dict:
    return {
        "id": f"evt_{kind.replace('.', '_')}_{data['id']}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "account": account,
        "data": {"object": data},
        "livemode": False,
    }


def _post(client_, event, **signing):
    payload, signature = _signed(event, **signing)
    return client_.post(
        reverse("stripe_connect_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def test_a_signed_event_is_processed_once_however_often_it_arrives(client, patient_card, cast):
    with medspa_scope(cast.medspa_a):
        payment = _charge(patient_card, "disputed", Decimal("80.00"))
    dispute = local.fixture("dispute") | {
        "id": "dp_test_1",
        "charge": payment.charge_id,
        "payment_intent": payment.payment_intent_id,
        "amount": 8000,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    event = _event("charge.dispute.created", dispute, patient_card.customer.account_id)
    answers = [_post(client, event) for _ in range(3)]
    assert [a.content for a in answers] == [b"processed", b"already processed", b"already processed"]
    with medspa_scope(cast.medspa_a):
        found = Dispute.objects.get(dispute_id="dp_test_1")
    assert (found.payment_id, found.amount, found.open) == (payment.pk, Decimal("80.00"), True)
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.deliveries == 3 and row.processed_at is not None


def test_unsigned_wrongly_signed_or_old_events_are_refused(client, db, stripe_local):
    event = _event(
        "payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent", "status": "succeeded"}, ""
    )
    payload = json.dumps(event).encode()
    url = reverse("stripe_connect_webhook")
    unsigned = client.post(url, payload, content_type="application/json")
    forged = _post(client, event, secret="whsec_someone_else")
    replayed = _post(client, event, at=time.time() - 600)  # signed ten minutes ago: a captured event replayed
    assert [unsigned.status_code, forged.status_code, replayed.status_code] == [400, 400, 400]
    assert not StripeEvent.objects.filter(event_id=event["id"]).exists()


def test_the_local_servers_requests_are_checked_against_stripes_specification():
    bad = [
        {"by": "server", "method": "POST", "path": "/v1/charges/ch_1/teleport", "headers": {}, "form": {}},
        {
            "by": "server",
            "method": "POST",
            "path": "/v1/payment_intents",
            "headers": {"Authorization": "Bearer sk_test_x"},
            "form": {"amount": "100", "currency": "usd", "colour": "red"},
        },
        {
            "by": "server",
            "method": "GET",
            "path": "/v1/balance_transactions",
            "headers": {"Authorization": "Bearer sk_x"},
            "query": [("month", "3")],
            "form": {},
        },
    ]
    faults = violations(bad)
    assert "POST /v1/charges/ch_1/teleport: no such operation in Stripe's specification" in faults
    assert "POST /v1/payment_intents: unknown parameter colour" in faults
    assert "POST /v1/payment_intents: a POST without an Idempotency-Key" in faults
    assert "GET /v1/balance_transactions: unknown query parameter month" in faults


def test_a_card_set_up_before_the_patient_is_known_is_kept_only_for_its_own_form(
    stripe_local, stripe_connected, cast
):
    medspa = cast.medspa_a
    patient = factories.PatientFactory(medspa=medspa)
    with medspa_scope(medspa):
        setup = cards.card_setup_start(medspa=medspa, metadata={"booking": "form-1"})
        stripe_js_confirm(stripe_local, setup)
        customer = cards.customer_for(medspa=medspa, patient=patient)
        with pytest.raises(client.PaymentError, match="not set up on this form"):
            cards.card_save(
                customer=customer,
                setup_intent_id=setup.setup_intent_id,
                via=SavedCard.Via.ONLINE,
                expected_metadata={"booking": "form-2"},
            )
        card = cards.card_save(
            customer=customer,
            setup_intent_id=setup.setup_intent_id,
            via=SavedCard.Via.ONLINE,
            expected_metadata={"booking": "form-1"},
        )
        assert _charge(card, "after-attach").status == CardPayment.Status.SUCCEEDED
    assert (
        local.resources.PaymentMethod._api_retrieve(card.payment_method_id).customer == customer.customer_id
    )
