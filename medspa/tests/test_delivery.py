"""Messages owed by a row (medspa.once.deliver_once): a failed send is recorded, not marked sent, and the
sweep sends it again after its backoff; each sweep queues one task per message."""

import smtplib
import uuid
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.utils import timezone

from inventory_orders.models import OrderEvent
from inventory_orders.services import cart as inventory_cart
from inventory_orders.services import emails as inventory_emails
from inventory_orders.services import orders as order_services
from medspa import once
from medspa.tenancy import medspa_scope
from providers.models import Sale
from providers.services import checkout
from scheduling import tasks as scheduling_tasks
from scheduling.models import Appointment
from scheduling.services import notifications
from tests import factories
from tests.test_faults import _booked, _receipted_sale


@pytest.fixture
def mail_server_down_once(monkeypatch):
    """The first email's send fails as a mail server that hangs up; later ones go."""
    send = mail.EmailMessage.send
    tries = []

    def flaky(self, *args, **kwargs):
        tries.append(self.to)
        if len(tries) == 1:
            raise smtplib.SMTPServerDisconnected("the mail server hung up")
        return send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky)
    return tries


@pytest.mark.usefixtures("media_and_sms")
def test_a_receipt_whose_email_fails_is_not_marked_sent_and_the_sweep_sends_it_once(
    cast, world, provider, mail_server_down_once
):
    with medspa_scope(cast.medspa_a):
        sale = _receipted_sale(cast, world, provider)
    with medspa_scope(sale.medspa_id):
        assert checkout.sale_receipt_send(sale_id=sale.pk) == once.RETRY
    with medspa_scope(sale.medspa_id):
        sale = Sale.objects.get(pk=sale.pk)
        assert sale.receipt_sent_at is None and "hung up" in sale.receipt_error and mail.outbox == []

    retry_at = sale.receipt_next_attempt_at
    assert checkout.sale_receipts_sweep(now=retry_at - timedelta(seconds=1)) == []  # still backing off
    assert checkout.sale_receipts_sweep(now=retry_at) == [(sale.pk, sale.medspa_id)]
    with medspa_scope(sale.medspa_id):
        assert checkout.sale_receipt_send(sale_id=sale.pk) == once.SENT
        assert checkout.sale_receipt_send(sale_id=sale.pk) == ""  # delivered again: nothing more
    with medspa_scope(sale.medspa_id):
        sale = Sale.objects.get(pk=sale.pk)
        assert [m.to for m in mail.outbox] == [["buyer@mail.example"]]
    assert (sale.receipt_error, sale.receipt_attempts, sale.receipt_next_attempt_at) == ("", 2, None)
    assert sale.receipt_sent_at is not None


def test_an_order_email_that_fails_is_sent_again_by_the_sweep(cast, mail_server_down_once):
    catalog = factories.catalog_world()
    medspa = factories.shipping_address(cast.medspa_a)
    with medspa_scope(medspa):
        inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=2)
    day = factories.medspa_today(medspa) + timedelta(days=14)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    with medspa_scope(medspa):
        order = order_services.order_submit(
            medspa=medspa, by=cast.admin_a, idempotency_key=uuid.uuid4().hex, delivery_date=day,
            payment_method="card", notes="",
        )  # fmt: skip
        event = order.events.get()
    with medspa_scope(medspa.pk):
        assert inventory_emails.order_event_email(event_id=event.pk) == once.RETRY
    with medspa_scope(medspa):
        event = OrderEvent.objects.get(pk=event.pk)
        assert event.emailed_at is None and "hung up" in event.email_error

    assert inventory_emails.order_emails_sweep(now=event.email_next_attempt_at) == [(event.pk, medspa.pk)]
    with medspa_scope(medspa.pk):
        assert inventory_emails.order_event_email(event_id=event.pk) == once.SENT
    with medspa_scope(medspa):
        event = OrderEvent.objects.get(pk=event.pk)
        assert event.emailed_at is not None and event.email_error == "" and len(mail.outbox) == 1


def test_a_sweep_queues_a_message_again_only_after_its_lease_runs_out(cast):
    with medspa_scope(cast.medspa_a):
        _, appointment = _booked(cast)
    scheduling_tasks.appointment_notify.apply((appointment.pk, appointment.medspa_id, "confirmation"))
    with medspa_scope(appointment.medspa_id):
        pending = appointment.notifications.filter(channel="email")
        # As a worker killed mid-send leaves it: pending, its lease running.
        pending.update(status="pending", next_attempt_at=timezone.now() + once.LEASE)
        lease_end, pending_pk = pending.get().next_attempt_at, pending.get().pk

    assert notifications.notifications_sweep(now=lease_end - timedelta(seconds=1)) == []
    assert notifications.notifications_sweep(now=lease_end) == [(pending_pk, appointment.medspa_id)]
    # Queued: a new lease, so the next minute's sweep does not queue it a second time.
    assert notifications.notifications_sweep(now=lease_end + timedelta(minutes=1)) == []


def test_the_reminders_sweep_queues_one_task_per_due_reminder(cast, monkeypatch):
    with medspa_scope(cast.medspa_a):
        _, appointment = _booked(cast, hours_ahead=47)  # inside the 48-hour reminder, booked days before
        Appointment.objects.filter(pk=appointment.pk).update(created_at=timezone.now() - timedelta(days=5))
    queued = []
    monkeypatch.setattr(scheduling_tasks.appointment_notify, "delay", lambda *args: queued.append(args))
    assert scheduling_tasks.reminders_sweep.apply().get() == 1
    assert queued == [(appointment.pk, appointment.medspa_id, "reminder-48h")]
    assert mail.outbox == []  # the beat task sends nothing itself


@pytest.mark.usefixtures("media_and_sms")
def test_a_receipt_whose_send_reaches_the_task_time_limit_stays_owed_as_it_was(
    cast, world, provider, monkeypatch
):
    """The worker raises SoftTimeLimitExceeded in the task's body: the send is not counted as failed, the row
    keeps its lease (the sweep queues it again once it runs out), and the next run sends it once."""
    send = mail.EmailMessage.send
    with medspa_scope(cast.medspa_a):
        sale = _receipted_sale(cast, world, provider)
        owed = Sale.objects.values_list("receipt_attempts", "receipt_error", "receipt_next_attempt_at")
        before = owed.get(pk=sale.pk)

        def time_is_up(self, *args, **kwargs):
            raise SoftTimeLimitExceeded()

        monkeypatch.setattr(mail.EmailMessage, "send", time_is_up)
        with pytest.raises(SoftTimeLimitExceeded):
            checkout.sale_receipt_send(sale_id=sale.pk)
        assert owed.get(pk=sale.pk) == before

        monkeypatch.setattr(mail.EmailMessage, "send", send)
        assert checkout.sale_receipt_send(sale_id=sale.pk) == once.SENT
        assert [m.to for m in mail.outbox] == [["buyer@mail.example"]]
