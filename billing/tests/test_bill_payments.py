"""Portrait's bills charged to the medspa's card on file with Portrait (Portrait's own Stripe account),
against the local Stripe-compatible server: one charge per bill however often (or however concurrently)
the charge runs, a declined card tried again on its schedule and then past due, Pay now after a new card,
the receipt emailed once, and what the medspa's pages, the staff list, the PDF and Django admin say."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import tasks
from billing.models import Bill, BillCharge, PlanPeriod
from billing.selectors import payments as bill_payments
from billing.services import bills as billing_bills
from billing.services import payments as bill_charges
from devtools import stripe_local as local
from medspa.models.payments import CardPayment, SavedCard
from medspa.payments import cards, events
from medspa.tenancy import medspa_scope
from providers.selectors import earnings
from tests.fixtures import at_once, stripe_js_confirm
from tests.pdfs import pdf_text

VISA, DECLINES = "pm_card_visa", "pm_card_chargeCustomerFail"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@scopes_disabled()
def last_months_bill(medspa, *, coordinator: bool = True) -> Bill:
    """Last month's bill of `medspa`: $1,000.00 with the coordinator, $0.00 without (Launch alone)."""
    medspa.keeps_coordinator = coordinator
    medspa.save()
    today = timezone.localdate(timezone=medspa.tz)
    PlanPeriod.objects.filter(medspa=medspa).update(starts_on=earnings.month_start(today, 2))
    bill, _ = billing_bills.bill_generate(medspa=medspa, month=earnings.month_start(today, 1))
    return bill


def card_on_file(server, medspa, payment_method: str = VISA) -> SavedCard:
    """The medspa's own card with Portrait, saved as Account settings → Payments saves it."""
    with medspa_scope(medspa):
        customer = cards.customer_for(medspa=medspa)
        setup = cards.card_setup_start(customer=customer)
        stripe_js_confirm(server, setup, payment_method)
        return cards.card_save(
            customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.ACCOUNT
        )


def intents_of(bill: Bill) -> list[dict]:
    """The PaymentIntents the product asked Stripe for this bill (every attempt's key)."""
    return [
        r
        for r in local.recorded
        if r["path"] == "/v1/payment_intents"
        and r["method"] == "POST"
        and r["headers"].get("Idempotency-Key", "").startswith(f"bill-{bill.pk}-attempt-")
    ]


def state_of(bill: Bill, *, now=None) -> bill_payments.PaymentState:
    with scopes_disabled():
        return bill_payments.bill_payment_states(
            [Bill.objects.select_related("medspa").get(pk=bill.pk)], now=now
        )[bill.pk]


def charge(bill: Bill, *, now=None):
    with medspa_scope(bill.medspa_id):
        return bill_charges.bill_charge(bill=Bill.objects.select_related("medspa").get(pk=bill.pk), now=now)


# --- One charge per bill ---------------------------------------------------------------------------------


def test_a_bill_is_charged_once_on_the_platform_account_however_often_its_task_runs(
    stripe_local, cast, django_capture_on_commit_callbacks
):
    card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.bill_charge(bill.pk, cast.medspa_a.pk) == "succeeded"
        assert tasks.bill_charge(bill.pk, cast.medspa_a.pk) == ""  # paid: nothing to do
    (intent,) = intents_of(bill)
    assert "Stripe-Account" not in intent["headers"]  # Portrait's own account, not the medspa's
    assert intent["headers"]["Idempotency-Key"] == f"bill-{bill.pk}-attempt-1"
    assert intent["form"]["amount"] == "100000" and intent["form"]["metadata[bill_number]"] == bill.number
    with scopes_disabled():
        (attempt,) = BillCharge.objects.filter(bill=bill)
        payment = attempt.card_payment
    assert (attempt.status, attempt.attempt, attempt.trigger) == ("succeeded", 1, "first")
    assert (payment.purpose, payment.account_id, payment.status) == ("portrait_bill", "", "succeeded")
    assert payment.amount == Decimal("1000.00") == attempt.amount
    state = state_of(bill)
    paid_on = timezone.localdate(attempt.settled_at, timezone=cast.medspa_a.tz)
    assert (
        state.code == "paid"
        and state.summary == f"Paid on {paid_on:%B} {paid_on.day}, {paid_on.year} with Visa ending 4242"
    )
    # The receipt, once, to the medspa's admins only.
    (receipt,) = mail.outbox
    assert receipt.to == [cast.admin_a.email]
    assert receipt.subject == f"Receipt: Portrait bill {bill.number} for {bill.month:%B %Y} is paid"
    assert "Amount paid: $1,000.00" in receipt.body and "Card: Visa ending 4242" in receipt.body
    assert f"Bill number: {bill.number}" in receipt.body and f"Month: {bill.month:%B %Y}" in receipt.body
    assert f"Paid on: {paid_on:%B} {paid_on.day}, {paid_on.year}" in receipt.body
    with medspa_scope(cast.medspa_a):
        assert bill_charges.bill_receipt_send(charge_id=attempt.pk) == ""  # delivered again: not sent again
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_charge_tasks_at_once_make_one_payment_intent(stripe_local, cast):
    card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    results = at_once(2, lambda _: tasks.bill_charge(bill.pk, cast.medspa_a.pk))
    assert sorted(results) == ["", "succeeded"]  # the second found the attempt claimed, or the bill paid
    assert len(intents_of(bill)) == 1
    with scopes_disabled():
        assert list(BillCharge.objects.filter(bill=bill).values_list("attempt", "status")) == [
            (1, "succeeded")
        ]
        assert CardPayment.objects.filter(purpose="portrait_bill", medspa=cast.medspa_a).count() == 1
    assert len(mail.outbox) == 1  # one receipt


def test_the_database_refuses_a_second_paid_attempt_and_a_second_attempt_of_one_number(stripe_local, cast):
    card = card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    charge(bill)
    with scopes_disabled():
        paid = BillCharge.objects.get(bill=bill)
        for attempt, status in [(1, "failed"), (2, "succeeded")]:
            with pytest.raises(IntegrityError), transaction.atomic():
                BillCharge.objects.create(
                    medspa=bill.medspa,
                    bill=bill,
                    attempt=attempt,
                    trigger="pay_now",
                    card=card,
                    amount=bill.total,
                    status=status,
                    card_payment=paid.card_payment if status == "failed" else None,
                    settled_at=timezone.now(),
                )


def test_the_monthly_job_charges_the_bills_it_makes(stripe_local, cast, django_capture_on_commit_callbacks):
    card_on_file(stripe_local, cast.medspa_a)
    medspa = cast.medspa_a
    medspa.keeps_coordinator = True
    medspa.save()
    with scopes_disabled():
        PlanPeriod.objects.filter(medspa=medspa).update(
            starts_on=earnings.month_start(timezone.localdate(timezone=medspa.tz), 1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.bills_make(medspa.pk) == 1
    with scopes_disabled():
        bill = Bill.objects.get(medspa=medspa)
        assert BillCharge.objects.get(bill=bill).status == "succeeded"
    assert len(intents_of(bill)) == 1 and len(mail.outbox) == 1


def test_a_bill_with_nothing_to_pay_is_not_charged(stripe_local, cast):
    card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a, coordinator=False)
    assert bill.total == Decimal("0.00")
    assert tasks.bill_charge(bill.pk, cast.medspa_a.pk) == ""
    assert intents_of(bill) == [] and state_of(bill).code == "nothing_due"
    assert bill.pk not in dict(bill_charges.bills_charge_due())


# --- Declines, retries, past due, Pay now ----------------------------------------------------------------


def test_a_declined_card_is_tried_again_on_its_schedule_then_the_bill_is_past_due(
    stripe_local, cast, client_as
):
    card_on_file(stripe_local, cast.medspa_a, DECLINES)
    bill = last_months_bill(cast.medspa_a)
    other = last_months_bill(cast.medspa_b)  # no card: not charged, never past due by the retries
    first = timezone.now()
    attempt = charge(bill, now=first)
    assert attempt.status == "failed" and attempt.error == "Your card was declined."
    today = timezone.localdate(first, timezone=cast.medspa_a.tz)
    for retries, days in enumerate(bill_payments.RETRY_DAYS):
        state = state_of(bill, now=first)
        assert state.code == "retrying" and state.next_attempt_on == today + timedelta(days=days)
        assert state.summary.startswith("Card declined: next attempt on ")
        day_before = first + timedelta(days=days - 1)
        assert charge(bill, now=day_before) is None  # not yet
        assert bill.pk not in dict(bill_charges.bills_charge_due(now=day_before))
        on_the_day = first + timedelta(days=days)
        assert bill.pk in dict(bill_charges.bills_charge_due(now=on_the_day))
        retried = charge(bill, now=on_the_day)
        assert (retried.attempt, retried.trigger, retried.status) == (retries + 2, "retry", "failed")
    state = state_of(bill)
    assert state.code == "past_due" and state.summary.startswith("Past due since ")
    later = first + timedelta(days=30)
    assert charge(bill, now=later) is None  # past due: Portrait no longer tries on its own
    assert bill.pk not in dict(bill_charges.bills_charge_due(now=later))
    assert len(intents_of(bill)) == 1 + len(bill_payments.RETRY_DAYS)
    assert len(mail.outbox) == 0
    # Staff see it, and the "Past due" filter finds it alone.
    staff = client_as("staff")
    url = reverse("billing_staff:list")
    page = staff.get(url).content.decode()
    assert "Past due since" in page and "Due: no card on file" in page
    past_due = staff.get(url, {"payment": "past_due"}).content.decode()
    assert bill.number in past_due and other.number not in past_due
    assert "1 bill, $1,000.00 in all for these filters" in past_due
    admin = staff.get(reverse("admin:billing_bill_changelist"), {"payment": "past_due"}).content.decode()
    assert bill.number in admin and other.number not in admin and "Past due" in admin


def test_a_past_due_medspa_replaces_its_card_and_pays_now_and_gets_one_receipt(
    stripe_local, cast, client_as, django_capture_on_commit_callbacks
):
    card_on_file(stripe_local, cast.medspa_a, DECLINES)
    bill = last_months_bill(cast.medspa_a)
    first = timezone.now()
    charge(bill, now=first)
    for days in bill_payments.RETRY_DAYS:
        charge(bill, now=first + timedelta(days=days))
    client = client_as("admin_a")
    detail = reverse("billing:detail", args=[bill.pk])
    page = client.get(detail).content.decode()
    assert "Past due since" in page and "Portrait does not try the card again" in page
    assert "Account settings → Payments</a>, then press Pay now" in page
    assert reverse("billing:pay_now", args=[bill.pk]) in page  # the same declining card may be tried
    new = card_on_file(stripe_local, cast.medspa_a, VISA)
    page = client.get(detail).content.decode()
    assert "A new card is on file: Visa ending 4242. Pay now charges it at once." in page
    assert f'data-confirm="Charge $1,000.00 to Visa ending 4242 now, for bill {bill.number}' in page
    assert client.get(reverse("billing:pay_now", args=[bill.pk])).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:pay_now", args=[bill.pk]), follow=True)
    page = response.content.decode()
    assert "Paid: $1,000.00 was charged to Visa ending 4242" in page
    assert "Paid on " in page and "with Visa ending 4242" in page
    with scopes_disabled():
        paid = BillCharge.objects.get(bill=bill, status="succeeded")
    assert (paid.attempt, paid.trigger, paid.card_id, paid.created_by) == (5, "pay_now", new.pk, cast.admin_a)
    assert len(intents_of(bill)) == 5 and len(mail.outbox) == 1
    assert "Card: Visa ending 4242" in mail.outbox[0].body
    # Pressed again (a second tab): refused, nothing charged, no second receipt.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("billing:pay_now", args=[bill.pk]), follow=True)
    assert "This bill is already paid." in again.content.decode()
    assert len(intents_of(bill)) == 5 and len(mail.outbox) == 1
    # The PDF says so too.
    text = " ".join(pdf_text(client.get(reverse("billing:pdf", args=[bill.pk])).content).split())
    assert "Paid on " in text and "with Visa ending 4242" in text


def test_pay_now_with_a_card_that_declines_says_so_and_charges_nothing(stripe_local, cast, client_as):
    card_on_file(stripe_local, cast.medspa_a, DECLINES)
    bill = last_months_bill(cast.medspa_a)
    response = client_as("admin_a").post(reverse("billing:pay_now", args=[bill.pk]), follow=True)
    page = response.content.decode()
    assert "Visa ending 0341 was declined: Your card was declined. Nothing was charged." in page
    assert state_of(bill).code == "due"  # a failed Pay now does not start Portrait's retries
    with scopes_disabled():
        assert not CardPayment.objects.filter(medspa=cast.medspa_a, status="succeeded").exists()


def test_without_a_card_the_bill_is_due_then_past_due_and_says_what_to_do(stripe_local, cast, client_as):
    bill = last_months_bill(cast.medspa_a)
    assert tasks.bill_charge(bill.pk, cast.medspa_a.pk) == ""
    assert intents_of(bill) == []
    state = state_of(bill)
    assert state.code == "due" and state.summary == "Due: no card on file" and not state.can_pay_now
    client = client_as("admin_a")
    page = client.get(reverse("billing:detail", args=[bill.pk])).content.decode()
    assert "There is no card on file to pay Portrait's bills" in page
    assert reverse("account_settings") + "#payments" in page
    assert reverse("billing:pay_now", args=[bill.pk]) not in page
    listing = client.get(reverse("billing:list")).content.decode()
    assert (
        f'Due: no card on file · <a href="{reverse("account_settings")}#payments">add a card</a>' in listing
    )
    refused = client.post(reverse("billing:pay_now", args=[bill.pk]), follow=True).content.decode()
    assert "There is no card on file to pay Portrait&#x27;s bills: add one in Account settings" in refused
    later = timezone.now() + timedelta(days=bill_payments.NO_CARD_GRACE_DAYS)
    assert state_of(bill, now=later).code == "past_due"
    with scopes_disabled():
        assert bill in bill_payments.past_due(Bill.objects.all(), now=later)
        assert bill not in bill_payments.past_due(Bill.objects.all())


def test_a_card_added_while_due_is_charged_by_the_daily_job(stripe_local, cast):
    bill = last_months_bill(cast.medspa_a)
    assert tasks.bills_charge_due() == 0  # no card yet
    card_on_file(stripe_local, cast.medspa_a)
    assert tasks.bills_charge_due() == 1
    assert state_of(bill).code == "paid" and len(intents_of(bill)) == 1
    assert tasks.bills_charge_due() == 0


def test_an_attempt_left_waiting_for_stripe_is_asked_again_with_its_own_key(stripe_local, cast):
    """A worker that died after claiming the attempt: the daily job asks Stripe again once the lease ran out,
    with the same key (Stripe charges once)."""
    card = card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    with scopes_disabled():
        stale = BillCharge.objects.create(
            medspa=bill.medspa, bill=bill, attempt=1, trigger="first", card=card, amount=bill.total
        )
    assert state_of(bill).code == "processing"
    assert charge(bill) is None  # another worker's, still within its lease: left alone
    assert bill.pk not in dict(bill_charges.bills_charge_due())
    with scopes_disabled():
        BillCharge.objects.filter(pk=stale.pk).update(
            attempted_at=timezone.now() - bill_charges.ATTEMPT_LEASE
        )
    assert bill.pk in dict(bill_charges.bills_charge_due())
    resumed = charge(bill)
    assert (resumed.pk, resumed.status) == (stale.pk, "succeeded")
    assert [r["headers"]["Idempotency-Key"] for r in intents_of(bill)] == [f"bill-{bill.pk}-attempt-1"]


# --- Pages and permissions ---------------------------------------------------------------------------------


def test_the_medspas_bill_list_shows_each_bills_payment_in_constant_queries(stripe_local, cast, client_as):
    card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    charge(bill)
    client = client_as("admin_a")
    url = reverse("billing:list")
    page = client.get(url).content.decode()
    assert "Paid on " in page and "with Visa ending 4242" in page
    assert "a declined card is tried again 3, 5 and 7 days later" in page
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    with scopes_disabled():
        for months_back in range(2, 6):
            month = earnings.month_start(timezone.localdate(timezone=cast.medspa_a.tz), months_back)
            billing_bills.bill_generate(medspa=cast.medspa_a, month=month)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_only_the_medspas_own_admin_pays_its_bill(stripe_local, cast, client_as):
    card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    url = reverse("billing:pay_now", args=[bill.pk])
    assert client_as("admin_b").post(url).status_code == 404
    assert client_as("admin_b").get(reverse("billing:detail", args=[bill.pk])).status_code == 404
    assert client_as("provider_a1").post(url).status_code == 403
    assert client_as("staff").post(url).status_code == 403  # staff use their own pages
    assert client_as("anonymous").post(url).status_code == 302
    assert intents_of(bill) == [] and state_of(bill).code == "due"


def test_staff_see_the_attempts_of_a_bill(stripe_local, cast, client_as):
    card_on_file(stripe_local, cast.medspa_a, DECLINES)
    bill = last_months_bill(cast.medspa_a)
    charge(bill)
    page = client_as("staff").get(reverse("billing_staff:detail", args=[bill.pk])).content.decode()
    assert "Card declined: next attempt on" in page and "Your card was declined." in page
    assert "When the bill was made" in page and "Pay now:" not in page
    pdf = client_as("staff").get(reverse("billing_staff:pdf", args=[bill.pk])).content
    assert "Card declined: next attempt on" in " ".join(pdf_text(pdf).split())


def test_the_daily_job_and_the_receipts_sweep_are_scheduled():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["bills-charge-due"]["task"] == "billing.tasks.bills_charge_due"
    assert schedule["bill-receipts-sweep"]["task"] == "billing.tasks.bill_receipts_sweep"
    assert bill_payments.RETRY_DAYS == (3, 5, 7)


def test_stripes_event_settles_an_attempt_left_waiting_and_the_receipt_goes_once(
    stripe_local, cast, django_capture_on_commit_callbacks
):
    """Stripe answered late (its event came first): the attempt is paid as the signed event says."""
    card = card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    with scopes_disabled():
        attempt = BillCharge.objects.create(
            medspa=bill.medspa, bill=bill, attempt=1, trigger="first", card=card, amount=bill.total
        )
        payment = CardPayment.objects.create(
            medspa=bill.medspa,
            purpose="portrait_bill",
            customer=card.customer,
            card=card,
            payment_method_id=card.payment_method_id,
            card_brand=card.brand,
            card_last4=card.last4,
            amount=bill.total,
            description=f"Portrait bill {bill.number}",
            idempotency_key=attempt.idempotency_key,
        )
    event = {
        "id": f"evt_bill_{bill.pk}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(timezone.now().timestamp()),
        "data": {
            "object": {
                "object": "payment_intent",
                "id": f"pi_bill_{bill.pk}",
                "status": "succeeded",
                "amount": 100000,
                "latest_charge": f"ch_bill_{bill.pk}",
                "metadata": {"card_payment": str(payment.pk)},
            }
        },
    }
    for _ in range(2):  # delivered twice
        with django_capture_on_commit_callbacks(execute=True):
            events.event_receive(event)
    with scopes_disabled():
        attempt.refresh_from_db()
    assert (attempt.status, attempt.card_payment_id) == ("succeeded", payment.pk)
    assert state_of(bill).code == "paid" and len(mail.outbox) == 1
    assert intents_of(bill) == []  # nothing asked of Stripe: it told


def test_account_settings_shows_the_latest_bills_payment_and_the_bills_past_due(
    stripe_local, cast, client_as
):
    bill = last_months_bill(cast.medspa_a)
    client = client_as("admin_a")
    page = client.get(reverse("account_settings")).content.decode()
    assert "Due: no card on file." in page and "past due" not in page
    card_on_file(stripe_local, cast.medspa_a, DECLINES)
    first = timezone.now()
    charge(bill, now=first)
    for days in bill_payments.RETRY_DAYS:
        charge(bill, now=first + timedelta(days=days))
    page = client.get(reverse("account_settings")).content.decode()
    assert "1 bill past due." in page and "Past due since" in page


def test_the_receipt_and_the_bill_give_the_day_it_was_paid_on_the_medspas_clock(
    stripe_local, cast, client_as, django_capture_on_commit_callbacks
):
    """Paid at 11:30 PM in New York: the next day in UTC, still the same day for the medspa."""
    card_on_file(stripe_local, cast.medspa_a)
    bill = last_months_bill(cast.medspa_a)
    day = timezone.localdate(timezone=cast.medspa_a.tz) + timedelta(days=1)
    late = datetime.combine(day, time(23, 30), tzinfo=cast.medspa_a.tz)
    with time_machine.travel(late, tick=False), django_capture_on_commit_callbacks(execute=True):
        charge(bill)
    paid_on = f"{day:%B} {day.day}, {day.year}"
    assert f"Paid on: {paid_on}" in mail.outbox[0].body
    page = client_as("admin_a").get(reverse("billing:detail", args=[bill.pk])).content.decode()
    assert f"Paid on {paid_on} with Visa ending 4242" in page


def test_a_card_added_after_the_bill_went_past_due_is_offered_to_pay_it(stripe_local, cast, client_as):
    bill = last_months_bill(cast.medspa_a)
    later = timezone.now() + timedelta(days=bill_payments.NO_CARD_GRACE_DAYS)
    assert state_of(bill, now=later).code == "past_due"
    card_on_file(stripe_local, cast.medspa_a)
    state = state_of(bill, now=later)
    assert state.code == "past_due" and state.card_replaced and state.can_pay_now
    assert bill.pk not in dict(bill_charges.bills_charge_due(now=later))  # only Pay now charges it now
    listing = client_as("admin_a").get(reverse("billing:list")).content.decode()
    assert "add a card" not in listing
