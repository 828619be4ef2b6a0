"""The booking policy of an appointment type (deposit, late-cancellation and no-show fees): how patients read
it, its acceptance kept on the appointment, the card saved and the deposit charged through Stripe (the local
server) when booking online, a declined card undoing the booking, and the card on the manage page."""

import re
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from devtools import stripe_local as local
from medspa.models.payments import CardPayment, SavedCard
from medspa.payments import cards
from medspa.tenancy import medspa_scope
from scheduling.forms.settings import AppointmentTypeForm
from scheduling.models import Appointment, AppointmentStatus, AppointmentType
from scheduling.selectors.booking_policy import booking_policy_digest, booking_policy_lines
from scheduling.services import deposits
from tests import factories
from tests.fixtures import stripe_js_confirm, stripe_js_confirm_on

LA = ZoneInfo("America/Los_Angeles")
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f-]{36})"')
POLICY = (
    "A $50.00 deposit is charged to your card when you book and goes toward your visit.",
    "Cancel or reschedule at least 24 hours ahead; later, a $40.00 fee is charged to your card on file.",
    "A missed appointment is charged $75.00 to your card on file.",
)


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """A POST whose after-commit work (the hooks) runs, as it would outside the test's transaction."""

    def send(client, url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    return send


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    """The hooks called after a booking changes (the patient's messages), recorded instead of queued."""
    calls = []
    monkeypatch.setattr(
        "scheduling.services.hooks.appointment_changed",
        lambda appointment, kind: calls.append((appointment.pk, kind)),
    )
    monkeypatch.setattr("scheduling.services.ratelimit._now", lambda: 1_800_000_000)
    return calls


POLICY_OPTIONS = {
    "deposit_amount": Decimal("50"),
    "late_cancel_fee": Decimal("40"),
    "no_show_fee": Decimal("75"),
}


@pytest.fixture
def world(cast, provider):
    return factories.booking_world(cast.medspa_a, provider, **POLICY_OPTIONS)


def at(days_ahead: int, hour: int) -> datetime:
    today: date = timezone.now().astimezone(LA).date()
    return datetime.combine(today + timedelta(days=days_ahead), time(hour), tzinfo=LA)


def form_page(client, world, start):
    return client.get(
        world.url,
        {
            "type": world.type.pk,
            "provider": "any",
            "day": start.date().isoformat(),
            "start": start.isoformat(),
        },
    )


def details(world, start, key, **fields) -> dict:
    return {
        "policy_digest": booking_policy_digest(world.type),
        "appointment_type": world.type.pk,
        "provider": "any",
        "start": start.isoformat(),
        "idempotency_key": key,
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": "ana.lopez@mail.example",
        "phone": "(619) 555-0123",
        "date_of_birth": "1990-04-02",
        "accept_policy": "on",
        **fields,
    }


def card_typed(stripe_local, page: str, payment_method: str = "pm_card_visa") -> tuple[str, str]:
    """The form's key, and the SetupIntent Stripe.js confirmed with the card typed into the page's field."""
    setup_intent = stripe_js_confirm_on(stripe_local, page, payment_method)
    return KEY.search(page).group(1), setup_intent


def appointments(world):
    with medspa_scope(world.medspa):
        return list(Appointment.objects.filter(appointment_type=world.type).select_related("deposit"))


def payments(world):
    with medspa_scope(world.medspa):
        return list(CardPayment.objects.filter(medspa=world.medspa))


class TestPolicy:
    def test_it_reads_the_policy_as_sentences_with_money_as_people_read_it(self, world):
        assert booking_policy_lines(world.type) == list(POLICY)

    def test_a_percent_deposit_is_a_share_of_the_price_and_fees_alone_still_state_the_window(self, world):
        world.type.deposit_amount, world.type.deposit_percent = None, Decimal("12.5")
        world.type.late_cancel_fee = Decimal("0")
        lines = booking_policy_lines(world.type)
        assert lines[0].startswith("A $37.50 deposit")  # 12.5% of $300.00
        assert lines[1] == "You can cancel or reschedule online until 24 hours before your appointment."

    def test_a_type_without_deposit_or_fees_has_no_policy(self, world):
        world.type.deposit_amount = None
        world.type.late_cancel_fee = world.type.no_show_fee = Decimal("0")
        assert booking_policy_lines(world.type) == []
        assert not world.type.has_booking_policy

    def test_the_database_refuses_two_kinds_of_deposit_and_a_percent_over_100(self, world):
        with medspa_scope(world.medspa):
            for change in (
                {"deposit_percent": Decimal("10")},
                {"deposit_amount": None, "deposit_percent": 101},
            ):
                with pytest.raises(IntegrityError), transaction.atomic():
                    AppointmentType.objects.filter(pk=world.type.pk).update(**change)

    def test_the_settings_form_refuses_both_kinds_of_deposit_and_one_above_the_price(self, world):
        with medspa_scope(world.medspa):
            data = {
                "location": world.location.pk,
                "service": world.type.service_id,
                "name": "Filler",
                "duration_minutes": 30,
                "buffer_before_minutes": 0,
                "buffer_after_minutes": 0,
                "price": "100",
                "min_notice_minutes": 0,
                "horizon_days": 60,
                "online_bookable": "True",
                "cancellation_window_hours": 24,
                "deposit_amount": "150",
                "deposit_percent": "10",
                "late_cancel_fee": "0",
                "no_show_fee": "0",
                "color": "#7a4e8a",
            }
            form = AppointmentTypeForm(data, medspa=world.medspa)
            assert not form.is_valid()
            assert form.errors["deposit_percent"] == [
                "Give the deposit as an amount or as a percent, not both."
            ]
            assert form.errors["deposit_amount"] == ["The deposit cannot be more than the price."]
            data.update(deposit_amount="20", deposit_percent="")
            form = AppointmentTypeForm(data, medspa=world.medspa)
            assert form.is_valid(), form.errors


class TestNotConnected:
    def test_without_a_connected_account_the_page_shows_no_card_field_and_books_as_before(
        self, world, stripe_local, post, sent
    ):
        client = Client()
        start = at(2, 10)
        page = form_page(client, world, start).content.decode()
        assert "data-stripe-card" not in page and "Booking policy" not in page and "deposit" not in page
        key = KEY.search(page).group(1)
        response = post(client, world.url, details(world, start, key, accept_policy=""))
        assert response.status_code == 303
        [appointment] = appointments(world)
        assert appointment.deposit is None and appointment.policy_text == ""
        assert sent == [(appointment.pk, "confirmation")]


class TestBookingWithADeposit:
    def test_it_states_the_policy_and_books_charging_the_deposit_once_recording_the_acceptance(
        self, world, stripe_local, post, stripe_connected, sent
    ):
        client = Client(REMOTE_ADDR="203.0.113.9")
        start = at(2, 10)
        page = form_page(client, world, start).content.decode()
        for line in POLICY:
            assert escape(line) in page
        assert "I accept the booking policy" in page and "data-stripe-card" in page
        assert "Confirm booking and pay the $50.00 deposit" in page
        key, setup_intent = card_typed(stripe_local, page)

        data = details(world, start, key, setup_intent=setup_intent)
        first = post(client, world.url, data, HTTP_X_FORWARDED_FOR="198.51.100.1")
        again = post(client, world.url, data)  # the double-click
        assert first.status_code == again.status_code == 303
        assert first["Location"] == again["Location"]

        [appointment] = appointments(world)
        assert appointment.status == AppointmentStatus.BOOKED
        assert appointment.policy_text == "\n".join(POLICY)
        assert appointment.policy_accepted_at is not None
        assert appointment.policy_accepted_ip == "203.0.113.9"  # the peer, never the forwarded header
        [payment] = payments(world)
        assert appointment.deposit == payment
        assert payment.status == CardPayment.Status.SUCCEEDED and payment.amount == Decimal("50.00")
        assert payment.purpose == CardPayment.Purpose.DEPOSIT
        assert payment.idempotency_key == f"deposit-{appointment.pk}"
        assert appointment.policy_card.last4 == "4242" and appointment.policy_card.via == SavedCard.Via.ONLINE
        assert sent == [(appointment.pk, "confirmation")]  # once, after the deposit

        manage = client.get(first["Location"]).content.decode()
        assert "Deposit paid: <strong>$50.00</strong> with Visa ending 4242" in manage
        assert escape(POLICY[1]) in manage
        assert "Remove this card" in manage

    def test_it_refuses_to_book_without_the_policy_accepted(
        self, world, stripe_local, post, stripe_connected, sent
    ):
        client = Client()
        start = at(2, 10)
        key, setup_intent = card_typed(stripe_local, form_page(client, world, start).content.decode())
        response = post(
            client, world.url, details(world, start, key, setup_intent=setup_intent, accept_policy="")
        )
        assert response.status_code == 400
        assert escape("Please read the booking policy and tick “I accept the booking policy”.") in (
            response.content.decode()
        )
        assert appointments(world) == [] and payments(world) == [] and sent == []

    def test_a_policy_changed_while_the_patient_read_it_is_not_recorded_as_accepted(
        self, world, stripe_local, post, stripe_connected, sent
    ):
        client = Client()
        start = at(2, 10)
        key, setup_intent = card_typed(stripe_local, form_page(client, world, start).content.decode())
        with medspa_scope(world.medspa):
            AppointmentType.objects.filter(pk=world.type.pk).update(no_show_fee=Decimal("100"))
        response = post(client, world.url, details(world, start, key, setup_intent=setup_intent))
        assert response.status_code == 400
        page = response.content.decode()
        assert "changed while you were booking: please read it again" in page
        assert "A missed appointment is charged $100.00" in page
        assert appointments(world) == [] and payments(world) == []

    def test_it_refuses_to_book_without_a_card(self, world, stripe_local, post, stripe_connected, sent):
        client = Client()
        start = at(2, 10)
        key = KEY.search(form_page(client, world, start).content.decode()).group(1)
        response = post(client, world.url, details(world, start, key))
        assert response.status_code == 400
        assert "Please enter your card" in response.content.decode()
        assert appointments(world) == []

    def test_a_card_set_up_on_another_form_is_refused_and_the_booking_undone(
        self, world, stripe_local, post, stripe_connected, sent
    ):
        client = Client()
        start = at(2, 10)
        _, setup_intent = card_typed(stripe_local, form_page(client, world, start).content.decode())
        key = KEY.search(form_page(client, world, start).content.decode()).group(1)
        response = post(client, world.url, details(world, start, key, setup_intent=setup_intent))
        assert response.status_code == 402
        assert "That card was not set up on this form" in response.content.decode()
        [appointment] = appointments(world)
        assert (
            appointment.status == AppointmentStatus.CANCELLED
            and appointment.cancel_reason == "Card not saved"
        )
        assert payments(world) == [] and sent == []

    def test_a_declined_deposit_leaves_no_active_appointment_nothing_paid_and_says_so(
        self, world, stripe_local, post, stripe_connected, sent
    ):
        client = Client()
        start = at(2, 10)
        key, setup_intent = card_typed(
            stripe_local, form_page(client, world, start).content.decode(), "pm_card_chargeCustomerFail"
        )
        data = details(world, start, key, setup_intent=setup_intent)
        response = post(client, world.url, data)
        assert response.status_code == 402
        page = response.content.decode()
        assert "Your booking was not made." in page and "declined" in page
        assert "data-stripe-card" in page  # the card can be entered again, on a fresh form
        assert KEY.search(page).group(1) != key

        [appointment] = appointments(world)
        assert appointment.status == AppointmentStatus.CANCELLED
        assert appointment.cancel_reason == "Deposit declined" and appointment.deposit is None
        assert [payment.status for payment in payments(world)] == [CardPayment.Status.FAILED]
        assert sent == []  # never confirmed, so never told of a cancellation either

        retried = post(client, world.url, data)
        assert retried.status_code == 402 and "Your booking was not made" in retried.content.decode()
        assert len(appointments(world)) == 1 and len(payments(world)) == 1

    def test_a_card_declined_for_the_deposit_does_not_take_the_place_of_the_card_on_file(
        self, world, stripe_local, post, stripe_connected, sent
    ):
        client = Client()
        key, setup_intent = card_typed(stripe_local, form_page(client, world, at(2, 10)).content.decode())
        assert (
            post(client, world.url, details(world, at(2, 10), key, setup_intent=setup_intent)).status_code
            == 303
        )
        [booked] = appointments(world)
        with medspa_scope(world.medspa):
            kept = cards.patient_card(medspa=world.medspa, patient=booked.patient)

        # The same patient books again and types a card that saves but is declined when charged.
        page = form_page(client, world, at(2, 11)).content.decode()
        key, setup_intent = card_typed(stripe_local, page, "pm_card_chargeCustomerFail")
        assert (
            post(client, world.url, details(world, at(2, 11), key, setup_intent=setup_intent)).status_code
            == 402
        )
        with medspa_scope(world.medspa):
            on_file = cards.patient_card(medspa=world.medspa, patient=booked.patient)
            declined = SavedCard.objects.exclude(pk=kept.pk).get(customer=kept.customer)
        assert on_file.pk == kept.pk and declined.removed_at is not None
        at_stripe = local.resources.PaymentMethod._api_retrieve
        assert at_stripe(kept.payment_method_id).customer == kept.customer.customer_id  # still chargeable
        assert at_stripe(declined.payment_method_id).customer is None  # detached: never charged again


class TestManagePage:
    def book(self, world, stripe_local, post):
        client = Client()
        start = at(3, 11)
        key, setup_intent = card_typed(stripe_local, form_page(client, world, start).content.decode())
        response = post(client, world.url, details(world, start, key, setup_intent=setup_intent))
        assert response.status_code == 303
        return client, response["Location"].split("?")[0]

    def test_the_patient_removes_their_card_and_can_save_another(
        self, world, stripe_local, post, stripe_connected
    ):
        client, url = self.book(world, stripe_local, post)
        response = post(client, url, {"action": "card_remove"})
        assert response.status_code == 303
        page = client.get(response["Location"]).content.decode()
        assert "Your card was removed" in page
        assert "may ask you for one" in page
        assert "Remove this card" not in page and "Save a card" in page
        [appointment] = appointments(world)
        with medspa_scope(world.medspa):
            assert cards.patient_card(medspa=world.medspa, patient=appointment.patient) is None
            assert SavedCard.objects.get(pk=appointment.policy_card_id).removed_at is not None

        setup_intent = stripe_js_confirm_on(stripe_local, page)
        saved = post(client, url, {"action": "card_save", "setup_intent": setup_intent})
        assert saved.status_code == 303
        page = client.get(saved["Location"]).content.decode()
        assert "Your card was saved" in page and "Visa ending 4242" in page
        with medspa_scope(world.medspa):
            card = cards.patient_card(medspa=world.medspa, patient=appointment.patient)
        assert card.via == SavedCard.Via.MANAGE

    def test_another_patients_card_cannot_be_saved_from_this_page(
        self, world, stripe_local, post, stripe_connected
    ):
        client, url = self.book(world, stripe_local, post)
        post(client, url, {"action": "card_remove"})
        other = factories.PatientFactory(medspa=world.medspa)
        with medspa_scope(world.medspa):
            setup = cards.card_setup_start(customer=cards.customer_for(medspa=world.medspa, patient=other))
        stripe_js_confirm(stripe_local, setup)
        response = post(client, url, {"action": "card_save", "setup_intent": setup.setup_intent_id})
        assert response.status_code == 400
        assert "That card was not set up for this patient." in response.content.decode()

    def test_the_staff_appointment_page_shows_the_deposit_and_the_policy_accepted(
        self, world, stripe_local, post, stripe_connected, client_as
    ):
        self.book(world, stripe_local, post)
        [appointment] = appointments(world)
        page = client_as("admin_a").get(reverse("scheduling:appointment_detail", args=[appointment.pk]))
        text = page.content.decode()
        assert "<dt>Deposit</dt><dd>$50.00 paid with Visa ending 4242</dd>" in text
        assert "Accepted online" in text and escape(POLICY[2]) in text

    def test_a_token_of_nothing_shows_nothing(self, world, stripe_local, post, stripe_connected):
        response = post(Client(), reverse("booking_manage", args=["x" * 32]), {"action": "card_remove"})
        assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_three_simultaneous_posts_of_one_form_book_once_charge_once_and_confirm_once(
    world, stripe_local, stripe_connected, sent
):
    """Real threads, each with its own connection to PostgreSQL, released together (a triple-click)."""
    start = at(2, 10)
    key, setup_intent = card_typed(stripe_local, form_page(Client(), world, start).content.decode())
    data = details(world, start, key, setup_intent=setup_intent)
    barrier = threading.Barrier(3)
    answers: list[int] = []

    def attempt():
        try:
            client = Client()
            barrier.wait()
            answers.append(client.post(world.url, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303, 303, 303]
    [appointment] = appointments(world)
    [payment] = payments(world)
    assert appointment.deposit == payment and payment.status == CardPayment.Status.SUCCEEDED
    assert sent == [(appointment.pk, "confirmation")]


@pytest.mark.django_db
def test_the_card_step_lock_is_a_transaction_level_one_held_for_the_block_and_gone_after_it(connect_as):
    """Not a session lock, which PgBouncer in transaction mode would leave on whichever server connection took
    it: a transaction-level lock on a connection of its own, whose transaction lasts as long as the block."""
    appointment = Appointment(pk=424242)  # the lock is the appointment's id's
    key = f"booking-card:{appointment.pk}"
    other = connect_as("app")
    other.autocommit = True
    taken = "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))"
    # The lock's holder (a bigint key is classid's and objid's 32 bits each): a session in a transaction.
    holders = """SELECT a.state FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
        AND (l.classid::bigint << 32 | l.objid::bigint) = hashtextextended(%s, 0)"""
    with deposits._appointment_lock(appointment):
        assert other.execute(taken, [key]).fetchone() == (False,)  # held by the block
        assert other.execute(holders, [key]).fetchall() == [("idle in transaction",)]
    assert other.execute(taken, [key]).fetchone() == (True,)  # free again once the block is done
