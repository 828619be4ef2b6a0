"""Care messages are owed by their log rows (medspa.once), as every other message is: a failed send is
retried after its backoff and then sent once, a message left by a worker killed mid-send is sent by the
sweep after the lease, a second delivery of the same task sends nothing, and after MAX_ATTEMPTS the message
is failed where the provider looks (the To-Do)."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa import once
from medspa.messaging import sms
from medspa.tenancy import medspa_scope
from providers import tasks
from providers.models import CareMessageLog
from providers.selectors import todo
from providers.services import care_messages
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_sms")]


@pytest.fixture
def gateway(monkeypatch):
    """An SMS gateway that times out on the first `down` sends; later ones go."""
    send, down = sms.LocmemSmsBackend.send, [1]
    tries = []

    def flaky(self, to, body, **options):
        tries.append(to)
        if len(tries) <= down[0]:
            raise sms.SmsError("gateway timeout")
        return send(self, to, body, **options)

    monkeypatch.setattr(sms.LocmemSmsBackend, "send", flaky)
    return down


def _completed_visit(cast, world, provider):
    """A paid visit whose care messages were not sent yet (its task not run)."""
    return factories.paid_visit(world, provider, cast.provider_a1).visit


def _state(row) -> tuple:
    with scopes_disabled():
        return (
            CareMessageLog.objects.filter(pk=row.pk)
            .values_list("status", "attempts", "next_attempt_at", "detail")
            .get()
        )


def _sms_row(visit) -> CareMessageLog:
    with scopes_disabled():
        return CareMessageLog.objects.get(visit=visit, channel="sms")


def _send_visit(visit) -> int:
    """The visit's care messages, sent as its task does: in the visit's medspa scope."""
    with medspa_scope(visit.medspa_id):
        return care_messages.visit_care_messages_send(visit_id=visit.pk)


def _resend(row) -> bool:
    """The To-Do's "send again", in the medspa's scope as the page is."""
    with medspa_scope(row.medspa_id):
        return care_messages.care_message_resend(log=row)


def _deliver(row, **kwargs) -> list:
    """Runs the row's task as a worker does, and returns the numbers it texted."""
    before = len(sms.outbox)
    tasks.care_message_send.apply((row.pk, row.medspa_id), **kwargs)
    return [message["to"] for message in sms.outbox[before:]]


def test_the_care_messages_have_their_sweep_every_minute():
    beats = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beats[tasks.care_messages_sweep.name] == 60.0


def test_a_send_that_fails_is_retried_after_its_backoff_then_sent_once(cast, world, provider, gateway):
    visit = _completed_visit(cast, world, provider)
    started = timezone.now()
    assert _send_visit(visit) == 1  # the email went, the SMS not
    row = _sms_row(visit)
    status, attempts, retry_at, detail = _state(row)
    assert (status, attempts, detail) == ("failed", 1, "gateway timeout")  # the To-Do shows it meanwhile
    assert started + once.retry_delay(1) <= retry_at <= timezone.now() + once.retry_delay(1)

    assert care_messages.care_messages_sweep(now=retry_at - timedelta(seconds=1)) == []  # backing off
    assert care_messages.care_messages_sweep(now=retry_at) == [(row.pk, row.medspa_id)]
    assert _deliver(row) == [visit.patient.phone.strip()]
    assert _state(row) == ("sent", 2, None, "")
    assert care_messages.care_messages_sweep(now=retry_at + timedelta(hours=1)) == []  # nothing owed
    assert len(sms.outbox) == 1 and len(mail.outbox) == 1


def test_a_message_left_by_a_worker_killed_mid_send_is_sent_by_the_sweep_after_the_lease(
    cast, world, provider, monkeypatch
):
    visit = _completed_visit(cast, world, provider)
    with monkeypatch.context() as killed:  # the decision is committed, then the worker dies
        killed.setattr(care_messages, "_deliver", lambda *args, **kwargs: "")
        _send_visit(visit)
    with scopes_disabled():
        rows = list(CareMessageLog.objects.filter(visit=visit).order_by("pk"))
    assert {_state(row)[:2] for row in rows} == {("pending", 0)}
    lease_end = max(_state(row)[2] for row in rows)
    owed = sorted((row.pk, row.medspa_id) for row in rows)

    assert (
        care_messages.care_messages_sweep(now=min(_state(row)[2] for row in rows) - timedelta(seconds=1))
        == []
    )
    assert sorted(care_messages.care_messages_sweep(now=lease_end)) == owed
    # Queued again with a new lease, so the next minute's sweep does not queue them a second time.
    assert care_messages.care_messages_sweep(now=lease_end + timedelta(minutes=1)) == []

    # The beat task queues one task per row whose lease ran out; that task sends it.
    with scopes_disabled():
        CareMessageLog.objects.filter(visit=visit).update(
            **care_messages.CARE_MESSAGES.queued(timezone.now() - once.LEASE)
        )
    queued = []
    monkeypatch.setattr(tasks.care_message_send, "delay", lambda *args: queued.append(args))
    assert tasks.care_messages_sweep.apply().get() == 2
    assert sorted(queued) == owed
    assert mail.outbox == [] and sms.outbox == []  # the beat task sends nothing itself
    for row in rows:
        tasks.care_message_send.apply((row.pk, row.medspa_id))
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert {_state(row)[0] for row in rows} == {"sent"}


def test_a_second_delivery_of_the_same_task_sends_nothing(cast, world, provider, gateway):
    visit = _completed_visit(cast, world, provider)
    _send_visit(visit)  # the SMS failed: owed, its retry due later
    row = _sms_row(visit)
    message_id = str(uuid.uuid4())
    assert _deliver(row, task_id=message_id) == [visit.patient.phone.strip()]
    assert _deliver(row, task_id=message_id) == []  # the same message, delivered again
    assert _state(row) == ("sent", 2, None, "")
    assert _resend(row) is False  # sent: nothing to send by hand either
    assert len(sms.outbox) == 1


def test_after_max_attempts_the_message_is_failed_and_the_provider_sees_it(cast, world, provider, gateway):
    gateway[0] = once.MAX_ATTEMPTS  # the gateway never takes it
    visit = _completed_visit(cast, world, provider)
    _send_visit(visit)
    row = _sms_row(visit)
    results = [_state(row)[1]]
    for _ in range(once.MAX_ATTEMPTS):
        due = _state(row)[2]
        if due is None:
            break
        assert care_messages.care_messages_sweep(now=due) == [(row.pk, row.medspa_id)]
        _deliver(row)
        results.append(_state(row)[1])
    assert results == list(range(1, once.MAX_ATTEMPTS + 1)) and sms.outbox == []
    assert _state(row) == ("failed", once.MAX_ATTEMPTS, None, "gateway timeout")
    assert care_messages.care_messages_sweep(now=timezone.now() + timedelta(days=1)) == []  # given up
    with scopes_disabled():
        failed = care_messages.CARE_MESSAGES.failed(CareMessageLog.objects.all())
        assert list(failed.values_list("pk", flat=True)) == [row.pk]
    with medspa_scope(row.medspa_id):
        assert [log.pk for log in todo.care_messages_failed(provider)] == [row.pk]

    # The provider may still send it by hand once the gateway is back.
    gateway[0] = 0
    assert _resend(row) is True
    assert _state(row)[0] == "sent" and len(sms.outbox) == 1
