"""Checkout by the card on file through Stripe (the medspa's connected account), refunds through Stripe,
and the no-show and late-cancellation fees, against the local Stripe server (devtools/stripe_local.py):
nothing is recorded as paid that Stripe did not accept, a form sent twice charges once, and refunds never
give back more than was paid, however many arrive at once."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from devtools import stripe_local as local
from medspa.models.payments import CardPayment, CardRefund, SavedCard
from medspa.payments import cards, charges
from medspa.tenancy import medspa_scope
from providers.models import FeeKind, Payment, Refund, Sale, SaleKind, SaleStatus, Visit, VisitStatus
from providers.services import checkout, fees, settlement
from providers.services.settlement import CheckoutRefused, Tender
from scheduling.models import Appointment, AppointmentStatus, AppointmentType
from tests import factories
from tests.fixtures import at_once, stripe_js_confirm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_sms")]


def card_for(server, patient, payment_method="pm_card_visa") -> SavedCard:
    """`patient`'s card on file, saved as the booking page saves it (pm_card_chargeCustomerFail: saved, then
    declined when charged)."""
    with medspa_scope(patient.medspa):
        customer = cards.customer_for(medspa=patient.medspa, patient=patient)
        setup = cards.card_setup_start(customer=customer)
        stripe_js_confirm(server, setup, payment_method)
        return cards.card_save(
            customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.ONLINE
        )


def intents(prefix: str) -> list[dict]:
    """The PaymentIntents asked of Stripe with an idempotency key starting with `prefix`."""
    return [
        r
        for r in local.recorded
        if r["path"] == "/v1/payment_intents" and r["headers"].get("Idempotency-Key", "").startswith(prefix)
    ]


def stripe_refunds_of(payment: CardPayment) -> int:
    """Cents refunded at Stripe of the payment's charge."""
    made = [obj for key, obj in local.resources.store.items() if key.startswith("refund:")]
    return sum(r.amount for r in made if r.charge == payment.charge_id)


def form_key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def charge_data(key: str, **values) -> dict:
    data = {"discount": "", "discount_reason": "", "tip": "", "idempotency_key": key}
    for method in ("card", "cash", "financing", "gift_credit"):
        data[f"{method}_amount"] = ""
        data[f"{method}_reference"] = ""
    return {**data, **values}


@pytest.fixture
def ready_visit(cast, visit):
    """The visit of the world's patient ($300 of service), its consent signed: ready to be charged."""
    with medspa_scope(cast.medspa_a):
        factories.consent_sign(visit, cast.provider_a1)
    return visit


def visit_url(visit, name="visit_detail") -> str:
    return reverse(f"providers:{name}", args=[visit.pk])


# --- Checkout by card ---------------------------------------------------------------------------------------


class TestVisitCheckoutByCard:
    def test_the_visit_is_charged_to_the_card_on_file_through_stripe(
        self, cast, client_as, world, ready_visit, stripe_local, stripe_connected
    ):
        card = card_for(stripe_local, world.patient)
        client = client_as("provider_a1")
        page = client.get(visit_url(ready_visit)).content.decode()
        assert "Card on file (Visa ending 4242)" in page and 'data-card-mode="on_file"' in page
        key = form_key(page)
        response = client.post(visit_url(ready_visit, "visit_checkout"), charge_data(key, card_amount="300"))
        assert response.status_code == 302
        with medspa_scope(cast.medspa_a):
            sale = Sale.objects.get(visit=ready_visit)
            payment = sale.payments.get()
            assert sale.status == SaleStatus.PAID and sale.total == Decimal("300.00")
            assert payment.method == "card" and payment.reference == "4242"
            charge = payment.card_payment
            assert charge.status == CardPayment.Status.SUCCEEDED and charge.amount == Decimal("300.00")
            assert charge.purpose == CardPayment.Purpose.CHECKOUT and charge.card == card
            assert charge.account_id == stripe_connected.account_id
            assert charge.idempotency_key == f"checkout-{key}"
        sent = intents(f"checkout-{key}")
        assert len(sent) == 1 and sent[0]["headers"]["Stripe-Account"] == stripe_connected.account_id
        receipt = client.get(reverse("providers:sale_detail", args=[sale.pk])).content.decode()
        assert "through Stripe" in receipt

    def test_a_split_payment_charges_only_the_card_part(
        self, cast, client_as, world, ready_visit, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient)
        client = client_as("provider_a1")
        key = form_key(client.get(visit_url(ready_visit)).content.decode())
        data = charge_data(key, card_amount="180", cash_amount="120", tip="0")
        assert client.post(visit_url(ready_visit, "visit_checkout"), data).status_code == 302
        with medspa_scope(cast.medspa_a):
            payments = {p.method: p for p in Payment.objects.filter(sale__visit=ready_visit)}
            assert payments["card"].card_payment.amount == Decimal("180.00")
            assert payments["cash"].amount == Decimal("120.00") and payments["cash"].card_payment is None
        assert (
            local.resources.PaymentIntent._api_retrieve(
                payments["card"].card_payment.payment_intent_id
            ).amount
            == 18000
        )

    def test_a_declined_card_is_a_clear_error_and_nothing_is_paid(
        self, cast, client_as, world, ready_visit, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient, "pm_card_chargeCustomerFail")
        client = client_as("provider_a1")
        key = form_key(client.get(visit_url(ready_visit)).content.decode())
        response = client.post(visit_url(ready_visit, "visit_checkout"), charge_data(key, card_amount="300"))
        assert response.status_code == 400
        assert "Your card was declined." in response.content.decode()
        assert form_key(response.content.decode()) != key  # trying again asks Stripe anew
        with medspa_scope(cast.medspa_a):
            assert not Sale.objects.filter(visit=ready_visit).exists() and not Payment.objects.exists()
            assert Visit.objects.get(pk=ready_visit.pk).status == VisitStatus.OPEN
            assert CardPayment.objects.get().status == CardPayment.Status.FAILED

    def test_the_same_form_posted_twice_charges_once(
        self, cast, client_as, world, ready_visit, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient)
        client = client_as("provider_a1")
        key = form_key(client.get(visit_url(ready_visit)).content.decode())
        data = charge_data(key, card_amount="300")
        first = client.post(visit_url(ready_visit, "visit_checkout"), data)
        second = client.post(visit_url(ready_visit, "visit_checkout"), data)
        assert first.status_code == second.status_code == 302
        with medspa_scope(cast.medspa_a):
            assert (
                CardPayment.objects.count() == 1
                and Sale.objects.count() == 1
                and Payment.objects.count() == 1
            )
        assert len(intents(f"checkout-{key}")) == 1

    def test_a_patient_without_a_card_on_file_is_said_so_and_a_terminal_card_is_still_recorded(
        self, cast, client_as, ready_visit, stripe_local, stripe_connected
    ):
        client = client_as("provider_a1")
        page = client.get(visit_url(ready_visit)).content.decode()
        assert 'data-card-mode="no_card"' in page and "no card on file" in page
        assert "Card, on the medspa&#x27;s terminal" in page or "Card, on the medspa's terminal" in page
        key = form_key(page)
        data = charge_data(key, card_amount="300", card_reference="1881")
        assert client.post(visit_url(ready_visit, "visit_checkout"), data).status_code == 302
        with medspa_scope(cast.medspa_a):
            payment = Payment.objects.get()
            assert payment.reference == "1881" and payment.card_payment is None
            assert not CardPayment.objects.exists()

    def test_a_medspa_not_connected_to_stripe_records_cards_taken_on_its_terminal(
        self, cast, client_as, ready_visit
    ):
        client = client_as("provider_a1")
        page = client.get(visit_url(ready_visit)).content.decode()
        assert 'data-card-mode="terminal"' in page and "has not connected Stripe" in page
        data = charge_data(form_key(page), card_amount="300", card_reference="4242")
        assert client.post(visit_url(ready_visit, "visit_checkout"), data).status_code == 302
        with medspa_scope(cast.medspa_a):
            assert Payment.objects.get().card_payment is None

    def test_the_booking_deposit_counts_toward_the_total_and_only_the_rest_is_charged(
        self, cast, client_as, world, ready_visit, stripe_local, stripe_connected
    ):
        card = card_for(stripe_local, world.patient)
        with medspa_scope(cast.medspa_a):
            deposit = charges.card_charge(
                medspa=cast.medspa_a,
                purpose=CardPayment.Purpose.DEPOSIT,
                amount=Decimal("50.00"),
                card=card,
                description="Deposit",
                idempotency_key="deposit-1",
            )
            Appointment.objects.filter(pk=ready_visit.appointment_id).update(deposit=deposit)
        client = client_as("provider_a1")
        page = client.get(visit_url(ready_visit)).content.decode()
        assert "deposit of $50.00" in page
        data = charge_data(form_key(page), card_amount="250")
        assert client.post(visit_url(ready_visit, "visit_checkout"), data).status_code == 302
        with medspa_scope(cast.medspa_a):
            payments = list(Payment.objects.filter(sale__visit=ready_visit).order_by("id"))
            assert [(p.amount, p.card_payment.purpose) for p in payments] == [
                (Decimal("50.00"), "deposit"),
                (Decimal("250.00"), "checkout"),
            ]


class TestChargeThenSettle:
    def test_a_charge_whose_sale_cannot_be_settled_is_refunded_at_once(
        self, cast, world, stripe_local, stripe_connected
    ):
        card = card_for(stripe_local, world.patient)

        def refused(paid):
            raise CheckoutRefused("This visit was already charged.")

        with medspa_scope(cast.medspa_a):
            with pytest.raises(
                CheckoutRefused, match=r"already charged\. The card charge of \$80.00 was refunded"
            ):
                settlement.card_then_settle(
                    medspa=cast.medspa_a,
                    tenders=[Tender("card", Decimal("80"), "4242", card=card)],
                    by=cast.provider_a1,
                    idempotency_key="undo-me",
                    description="Test",
                    settle=refused,
                )
            payment = CardPayment.objects.get(idempotency_key="checkout-undo-me")
            assert payment.status == CardPayment.Status.SUCCEEDED
            assert payment.refunds.get().status == CardRefund.Status.SUCCEEDED
            assert not Payment.objects.exists()
        assert stripe_refunds_of(payment) == 8000

    def test_a_database_failure_after_the_charge_refunds_it_and_records_nothing(
        self, cast, client_as, world, ready_visit, stripe_local, stripe_connected, monkeypatch
    ):
        card_for(stripe_local, world.patient)

        def broken(*args, **kwargs):
            raise IntegrityError("the database refused")

        monkeypatch.setattr(checkout, "sale_settle", broken)
        client = client_as("provider_a1")
        key = form_key(client.get(visit_url(ready_visit)).content.decode())
        response = client.post(visit_url(ready_visit, "visit_checkout"), charge_data(key, card_amount="300"))
        assert response.status_code == 400
        assert "The card charge of $300.00 was refunded at once" in response.content.decode()
        with medspa_scope(cast.medspa_a):
            assert not Sale.objects.exists() and not Payment.objects.exists()
            payment = CardPayment.objects.get()
            assert Visit.objects.get(pk=ready_visit.pk).status == VisitStatus.OPEN
        assert stripe_refunds_of(payment) == 30000


# --- Refunds through Stripe ---------------------------------------------------------------------------------


def card_sale(cast, world, card, key="sale-1") -> Sale:
    with medspa_scope(cast.medspa_a):
        return checkout.visit_checkout(
            visit=world.visit,
            tenders=[Tender("card", Decimal("300"), card.last4, card=card)],
            by=cast.provider_a1,
            idempotency_key=key,
        )


class TestRefunds:
    @pytest.fixture
    def paid(self, cast, world, ready_visit, stripe_local, stripe_connected):
        card = card_for(stripe_local, world.patient)
        world.visit = ready_visit
        return card_sale(cast, world, card)

    def refund(self, client, sale, amount, key, reason="Bruising, goodwill"):
        with medspa_scope(sale.medspa_id):
            payment = sale.payments.get()
        return client.post(
            reverse("providers:admin_sale_refund", args=[sale.pk]),
            {"payment": payment.pk, "amount": amount, "reason": reason, "idempotency_key": key},
        )

    def test_a_partial_then_full_refund_goes_through_stripe(self, cast, client_as, paid):
        client = client_as("admin_a")
        assert self.refund(client, paid, "100", "r-1").status_code == 302
        assert self.refund(client, paid, "100", "r-1").status_code == 302  # the same form again
        assert self.refund(client, paid, "200", "r-2").status_code == 302
        with medspa_scope(cast.medspa_a):
            refunds = list(Refund.objects.filter(sale=paid).order_by("id"))
            assert [r.amount for r in refunds] == [Decimal("100.00"), Decimal("200.00")]
            assert all(r.card_refund.status == CardRefund.Status.SUCCEEDED for r in refunds)
            charge = paid.payments.get().card_payment
        assert stripe_refunds_of(charge) == 30000
        page = client.get(reverse("providers:admin_sale_detail", args=[paid.pk])).content.decode()
        assert "refunded in full" in page

    def test_a_refund_over_what_is_left_is_refused_and_stripe_is_not_asked(self, cast, client_as, paid):
        client = client_as("admin_a")
        self.refund(client, paid, "100", "r-1")
        before = len([r for r in local.recorded if r["path"] == "/v1/refunds"])
        response = self.refund(client, paid, "250", "r-2")
        assert response.status_code == 400 and "At most $200.00" in response.content.decode()
        assert len([r for r in local.recorded if r["path"] == "/v1/refunds"]) == before
        with medspa_scope(cast.medspa_a):
            assert Refund.objects.filter(sale=paid).count() == 1 and CardRefund.objects.count() == 1

    def test_a_refund_stripe_refuses_records_nothing(self, cast, client_as, paid):
        with medspa_scope(cast.medspa_a):
            charge = paid.payments.get().card_payment
            # A charge Stripe does not know (as if made on another account): Stripe refuses its refund.
            CardPayment.objects.filter(pk=charge.pk).update(payment_intent_id="pi_unknown_here")
        response = self.refund(client_as("admin_a"), paid, "50", "r-x")
        assert response.status_code == 400
        with medspa_scope(cast.medspa_a):
            assert not Refund.objects.exists()
            assert CardRefund.objects.get().status == CardRefund.Status.FAILED
        assert "Stripe did not refund it" in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.scopes_disabled(reason="twenty threads, each its own connection, race refunds of one sale")
def test_twenty_refunds_at_once_of_one_card_payment_give_back_at_most_what_was_paid(
    cast, provider, stripe_local, stripe_connected
):
    world = factories.charting_world(cast.medspa_a, provider)
    appointment = factories.checked_in_appointment(world, provider)
    from providers.services import charting

    with medspa_scope(cast.medspa_a):
        visit = charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)
        factories.consent_sign(visit, cast.provider_a1)
    card = card_for(stripe_local, world.patient)
    world.visit = visit
    sale = card_sale(cast, world, card, key="race-sale")  # $300
    payment = sale.payments.get()
    outcomes = at_once(
        20,
        lambda index: checkout.sale_refund(
            sale=sale,
            payment=payment,
            amount=Decimal("45.00"),
            reason="Race",
            by=cast.admin_a,
            idempotency_key=f"race-{index}",
        ),
    )
    refunded = [outcome for outcome in outcomes if isinstance(outcome, Refund)]
    # Refused by the sale's own rule, or by the card payment's at Stripe's side of the limit.
    refused = [outcome for outcome in outcomes if "left to refund" in str(outcome)]
    assert len(refunded) == 6 and len(refused) == 14  # 6 × $45 ≤ $300 < 7 × $45
    assert sum(r.amount for r in Refund.objects.filter(sale=sale)) == Decimal("270.00")
    assert all(r.card_refund_id for r in Refund.objects.filter(sale=sale))
    assert stripe_refunds_of(payment.card_payment) == 27000


# --- No-show and late-cancellation fees ---------------------------------------------------------------------


def _fees_set(appointment) -> None:
    """The booking policy of the appointment's type: $75 for a no-show, $40 for a late cancellation."""
    with medspa_scope(appointment.medspa):
        AppointmentType.objects.filter(pk=appointment.appointment_type_id).update(
            no_show_fee=Decimal("75.00"), late_cancel_fee=Decimal("40.00")
        )
        appointment.appointment_type.refresh_from_db()


def no_show(world, provider) -> Appointment:
    start = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    appointment = factories.checked_in_appointment(world, provider, start=start)
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.save(update_fields=["status"])
    _fees_set(appointment)
    return appointment


def cancelled(world, provider, *, hours_before: int) -> Appointment:
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    appointment = factories.checked_in_appointment(world, provider, start=start)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = start - timedelta(hours=hours_before)
    appointment.save(update_fields=["status", "cancelled_at"])
    _fees_set(appointment)
    return appointment


def page_of(appointment) -> str:
    return reverse("scheduling:appointment_detail", args=[appointment.pk])


def fee_url(appointment) -> str:
    return reverse("providers:appointment_fee", args=[appointment.pk])


class TestFees:
    def test_a_no_show_fee_is_offered_charged_once_even_on_a_double_click(
        self, cast, client_as, world, provider, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient)
        appointment = no_show(world, provider)
        client = client_as("admin_a")
        page = client.get(page_of(appointment)).content.decode()
        assert "Charge the $75.00 no-show fee to Visa ending 4242" in page
        assert 'data-confirm="Charge the $75.00 no-show fee to Visa ending 4242?' in page
        key = form_key(page)
        data = {"kind": "no_show", "idempotency_key": key}
        first = client.post(fee_url(appointment), data)
        second = client.post(fee_url(appointment), data)
        assert first.status_code == second.status_code == 302
        assert first["Location"] == page_of(appointment)
        with medspa_scope(cast.medspa_a):
            sale = Sale.objects.get()
            assert (sale.kind, sale.fee_kind, sale.total, sale.status) == (
                SaleKind.FEE,
                FeeKind.NO_SHOW,
                Decimal("75.00"),
                SaleStatus.PAID,
            )
            assert [line.description for line in sale.lines.all()] == ["No-show fee"]
            charge = sale.payments.get().card_payment
            assert charge.purpose == CardPayment.Purpose.NO_SHOW_FEE and CardPayment.objects.count() == 1
        assert len(intents(f"fee-{appointment.pk}-no_show-")) == 1
        # Another form (another tab) is refused: one fee per appointment and kind.
        third = client.post(fee_url(appointment), {"kind": "no_show", "idempotency_key": "other-tab"})
        assert third.status_code == 302
        with medspa_scope(cast.medspa_a):
            assert Sale.objects.count() == 1 and CardPayment.objects.count() == 1
        page = client.get(page_of(appointment), follow=True).content.decode()
        assert "already charged" in page or "No-show fee charged $75.00 on" in page
        assert "No-show fee charged $75.00 on" in page and "Charge the $75.00" not in page
        assert reverse("providers:admin_sale_detail", args=[sale.pk]) in page

    def test_a_fee_is_refused_for_an_appointment_that_is_not_a_no_show(
        self, cast, world, provider, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient)
        appointment = factories.checked_in_appointment(world, provider)
        _fees_set(appointment)
        with medspa_scope(cast.medspa_a):
            assert fees.fee_offer(appointment) is None
            with pytest.raises(CheckoutRefused, match="Only an appointment marked as a no-show"):
                fees.appointment_fee_charge(
                    appointment=appointment,
                    kind=FeeKind.NO_SHOW,
                    amount=Decimal("75"),
                    by=cast.admin_a,
                    idempotency_key="k",
                )
            assert not CardPayment.objects.exists() and not Sale.objects.exists()

    def test_a_late_cancellation_is_charged_only_inside_the_cancellation_window(
        self, cast, world, provider, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient)
        late = cancelled(world, provider, hours_before=2)  # the type's window: 24 hours
        early = cancelled(world, provider, hours_before=48)
        with medspa_scope(cast.medspa_a):
            assert fees.fee_offer(early) is None
            with pytest.raises(CheckoutRefused, match="cancelled inside its cancellation window"):
                fees.appointment_fee_charge(
                    appointment=early, kind=FeeKind.LATE_CANCEL, amount=Decimal("40"), by=cast.admin_a,
                    idempotency_key="early",
                )  # fmt: skip
            assert fees.fee_offer(late)["amount"] == Decimal("40.00")
            sale = fees.appointment_fee_charge(
                appointment=late, kind=FeeKind.LATE_CANCEL, amount=Decimal("40"), by=cast.admin_a,
                idempotency_key="late",
            )  # fmt: skip
            assert sale.lines.get().description == "Late-cancellation fee"

    def test_a_declined_fee_is_a_clear_error_and_nothing_is_charged(
        self, cast, client_as, world, provider, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient, "pm_card_chargeCustomerFail")
        appointment = no_show(world, provider)
        client = client_as("provider_a1")
        response = client.post(
            fee_url(appointment), {"kind": "no_show", "idempotency_key": "k1"}, follow=True
        )
        assert "Your card was declined." in response.content.decode()
        with medspa_scope(cast.medspa_a):
            assert not Sale.objects.exists()

    def test_only_the_admin_and_the_appointments_provider_may_charge(
        self, cast, client_as, world, provider, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient)
        appointment = no_show(world, provider)
        data = {"kind": "no_show", "idempotency_key": "k"}
        assert client_as("provider_a2").post(fee_url(appointment), data).status_code == 404
        assert client_as("admin_b").post(fee_url(appointment), data).status_code == 404
        with medspa_scope(cast.medspa_a):
            assert not Sale.objects.exists()
        response = client_as("provider_a1").post(fee_url(appointment), data)
        assert response.status_code == 302
        assert response["Location"] == reverse("providers:calendar") + f"?appointment={appointment.pk}"
        own = client_as("provider_a1").get(response["Location"]).content.decode()
        assert "No-show fee charged $75.00 on" in own
        with medspa_scope(cast.medspa_a):
            sale = Sale.objects.get()
        assert reverse("providers:sale_detail", args=[sale.pk]) in own

    def test_the_fee_sale_is_refunded_like_any_sale(
        self, cast, client_as, world, provider, stripe_local, stripe_connected
    ):
        card_for(stripe_local, world.patient)
        appointment = no_show(world, provider)
        with medspa_scope(cast.medspa_a):
            sale = fees.appointment_fee_charge(
                appointment=appointment, kind=FeeKind.NO_SHOW, amount=Decimal("75"), by=cast.admin_a,
                idempotency_key="fee",
            )  # fmt: skip
            refund = checkout.sale_refund(
                sale=sale, payment=sale.payments.get(), amount=Decimal("25"), reason="Came the next day",
                by=cast.admin_a, idempotency_key="r",
            )  # fmt: skip
            assert refund.card_refund.status == CardRefund.Status.SUCCEEDED
            assert stripe_refunds_of(sale.payments.get().card_payment) == 2500


def test_a_fee_counts_in_earnings_like_any_sale(
    cast, client_as, world, provider, stripe_local, stripe_connected
):
    card_for(stripe_local, world.patient)
    appointment = no_show(world, provider)
    with medspa_scope(cast.medspa_a):
        fees.appointment_fee_charge(
            appointment=appointment, kind=FeeKind.NO_SHOW, amount=Decimal("75"), by=cast.admin_a,
            idempotency_key="fee",
        )  # fmt: skip
    page = client_as("admin_a").get(reverse("providers:admin_earnings")).content.decode()
    assert "No-show and late-cancellation fees" in page and "$75.00" in page
    assert "Appointment fee" in page


def test_a_retail_cart_is_split_between_the_card_on_file_and_cash(
    cast, client_as, world, provider, stripe_local, stripe_connected
):
    card_for(stripe_local, world.patient)
    serum = factories.retail_product(cast.medspa_a, "Serum", "S1", "60", taxable=False)
    with medspa_scope(cast.medspa_a):
        sale = checkout.retail_sale_open(
            provider=provider, location=world.location, by=cast.provider_a1, patient=world.patient
        )
        checkout.retail_line_set(sale=sale, product=serum, quantity=Decimal("2"))
    client = client_as("provider_a1")
    page = client.get(reverse("providers:sale_detail", args=[sale.pk])).content.decode()
    assert "Card on file (Visa ending 4242)" in page
    data = {**charge_data(form_key(page), card_amount="100", cash_amount="20"), "action": "charge"}
    data["receipt_email"] = ""
    response = client.post(reverse("providers:sale_detail", args=[sale.pk]), data)
    assert response.status_code == 302
    assert client.post(reverse("providers:sale_detail", args=[sale.pk]), data).status_code == 302  # again
    with medspa_scope(cast.medspa_a):
        sale.refresh_from_db()
        assert sale.status == SaleStatus.PAID
        payments = {p.method: p for p in sale.payments.all()}
        assert payments["card"].card_payment.amount == Decimal("100.00") and payments["cash"].amount == 20
        assert CardPayment.objects.count() == 1


def test_a_walk_in_cart_on_a_connected_medspa_takes_the_card_on_the_terminal(
    cast, client_as, world, provider, stripe_local, stripe_connected
):
    with medspa_scope(cast.medspa_a):
        sale = checkout.retail_sale_open(provider=provider, location=world.location, by=cast.provider_a1)
        serum = factories.retail_product(cast.medspa_a, "Serum", "S1", "60", taxable=False)
        checkout.retail_line_set(sale=sale, product=serum, quantity=Decimal("1"))
    page = client_as("provider_a1").get(reverse("providers:sale_detail", args=[sale.pk])).content.decode()
    assert 'data-card-mode="walk_in"' in page and "Card, on the medspa" in page


def test_the_admins_earnings_show_stripes_fee_and_payout_beside_a_sale_paid_by_card(
    cast, client_as, world, ready_visit, stripe_local, stripe_connected, django_capture_on_commit_callbacks
):
    import requests

    from medspa.payments import balance

    card = card_for(stripe_local, world.patient)
    world.visit = ready_visit
    with django_capture_on_commit_callbacks(execute=True):  # the fee is learned once the charge is committed
        sale = card_sale(cast, world, card, key="fee-shown")
    url = reverse("providers:admin_earnings")
    page = client_as("admin_a").get(url).content.decode()
    assert "Stripe's fee" in page and "$9.00" in page  # 2.9% of $300.00 + 30¢
    # Stripe pays out: the sale's row says when.
    payout = requests.post(
        f"{stripe_local.url}/_test/payouts", data={"account": stripe_connected.account_id}, timeout=10
    ).json()
    with medspa_scope(cast.medspa_a):
        balance.payout_record(account=stripe_connected.account_id, payout_id=payout["id"])
        paid_out = sale.payments.get().card_payment
        paid_out.refresh_from_db()
    assert paid_out.payout_id == payout["id"]
    page = client_as("admin_a").get(url).content.decode()
    assert (
        f'$9.00<br><span class="muted">paid out {paid_out.paid_out_at.astimezone(cast.medspa_a.tz):%b} '
        in page
    )
    assert "Stripe's fee" not in client_as("provider_a1").get(reverse("providers:earnings")).content.decode()
