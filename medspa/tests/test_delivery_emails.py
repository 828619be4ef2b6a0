"""The invitation, GFE and OpenPhone confirmation emails are owed by their rows (medspa.once): a failed send
is retried after its backoff and then sent once, a message lost before its task ran is sent by the sweep
after the lease, a second delivery of the same task sends nothing, and after MAX_ATTEMPTS the email is
failed where staff look."""

import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from gfe import tasks as gfe_tasks
from gfe.models import GfeRequest, Routing
from gfe.services import decisions as gfe_decisions
from gfe.services import emails as gfe_emails
from gfe.services import requests as gfe_requests
from gfe.services import routing as gfe_routing
from medspa import once
from medspa import tasks as medspa_tasks
from medspa.models import Invitation
from medspa.services import accounts as medspa_services
from medspa.services import invitations
from medspa.tenancy import medspa_scope
from services_catalog.services import catalog
from tests import factories
from transition import tasks as transition_tasks
from transition.models import ConfirmationEmail
from transition.services import confirmation_emails
from transition.services import confirmations as transition_confirmations
from transition.tests import test_transition as transition_tests

EXAM = {"history_reviewed": True, "medications_reviewed": True, "allergies_reviewed": True,
        "diagnoses": "Dynamic rhytids, glabella", "icd10_codes": "L90.8"}  # fmt: skip


@dataclass(frozen=True)
class Email:
    """One kind of email owed by a row: how a test makes the row (through the service that queues it,
    its task never run, as when the message was lost), what sends and sweeps it, and where staff see it."""

    model: type[Model]
    outbox: once.Outbox
    sent_at: str
    task: object  # the Celery task that sends one row's email
    sweep_task: object  # the beat task
    sweep: Callable  # (now) -> [(pk, medspa_id)]
    make: Callable  # (request) -> (row, recipient)
    staff_page: Callable  # (row) -> the URL where Portrait staff see the failure


def _invitation(request):
    cast = request.getfixturevalue("cast")
    row = medspa_services.invitation_create(
        medspa=cast.medspa_a, invited_by=cast.admin_a, email="nurse@mail.example", as_admin=False,
        as_provider=True, as_coordinator=False,
    )  # fmt: skip
    return row, "nurse@mail.example"


def _toxin(cast):
    service = catalog.service_import(medspa=cast.medspa_a, library_service=factories.library_service("Toxin"))
    return catalog.service_set_active(service=service, active=True)


def _clearer_request(request):
    cast = request.getfixturevalue("cast")
    with medspa_scope(cast.medspa_a):
        gfe_routing.gfe_settings_update(
            medspa=cast.medspa_a,
            data={"routing": Routing.OWN_CLEARER, "clearer_email": "clearer@outside.example",
                  "clearer_name": "Dr. Out", "clearer_credential": "MD"},
        )  # fmt: skip
        patient = factories.PatientFactory(medspa=cast.medspa_a)
        row = gfe_requests.gfe_request_create(
            patient=patient, services=[_toxin(cast)], requested_by=cast.admin_a
        )
    return row, "clearer@outside.example"


def _decided_request(request):
    cast = request.getfixturevalue("cast")
    with medspa_scope(cast.medspa_a):
        gfe_routing.gfe_settings_update(medspa=cast.medspa_a, data={"routing": Routing.PORTRAIT})
        patient, toxin = factories.PatientFactory(medspa=cast.medspa_a), _toxin(cast)
        row = gfe_requests.gfe_request_create(patient=patient, services=[toxin], requested_by=cast.admin_a)
        gfe_decisions.gfe_review_start(request=row)
        gfe_decisions.gfe_decide(request=row, exam=EXAM, clearer_name="Dr. Ann Lee", clearer_credential="MD",
                       decisions={toxin.pk: gfe_decisions.Decision("cleared")})  # fmt: skip
    return row, cast.admin_a.email


def _confirmation(request):
    cast, medspa = request.getfixturevalue("cast"), request.getfixturevalue("legacy")["medspa"]
    with medspa_scope(medspa):
        transition = transition_tests.schedule(
            cast, medspa, transition_tests.effective(medspa, 0), keeps=False
        )
        transition_confirmations.openphone_account_set(
            transition=transition, by=cast.admin_a, email="me@own.example"
        )
        transition_confirmations.openphone_acknowledge(
            transition=transition, by=cast.admin_a
        )  # asks for the link
        return transition.confirmation_emails.get(), cast.admin_a.email


EMAILS = {
    "invitation": Email(
        Invitation, invitations.INVITATION_EMAILS, "emailed_at", medspa_tasks.invitation_email_send,
        medspa_tasks.invitation_emails_sweep, lambda now: invitations.invitation_emails_sweep(now=now),
        _invitation, lambda row: reverse("admin:medspa_invitation_changelist") + "?email_attempts=failed",
    ),
    "gfe-to-clearer": Email(
        GfeRequest, gfe_emails.CLEARER_EMAILS, "clearer_notified_at", gfe_tasks.gfe_request_notify_clearer,
        gfe_tasks.gfe_emails_sweep, lambda now: gfe_emails.gfe_emails_sweep(now=now)[0], _clearer_request,
        lambda row: reverse("admin:gfe_gferequest_changelist") + "?clearer_email_attempts=failed",
    ),
    "gfe-decision": Email(
        GfeRequest, gfe_emails.DECISION_EMAILS, "decision_notified_at", gfe_tasks.gfe_request_notify_decided,
        gfe_tasks.gfe_emails_sweep, lambda now: gfe_emails.gfe_emails_sweep(now=now)[1], _decided_request,
        lambda row: reverse("admin:gfe_gferequest_changelist") + "?decision_email_attempts=failed",
    ),
    "openphone-confirmation": Email(
        ConfirmationEmail, confirmation_emails.CONFIRMATION_EMAILS, "sent_at",
        transition_tasks.confirmation_email, transition_tasks.confirmation_emails_sweep,
        lambda now: confirmation_emails.confirmation_emails_sweep(now=now), _confirmation,
        lambda row: reverse("admin:transition_transition_change", args=[row.transition_id]),
    ),
}  # fmt: skip


@pytest.fixture(params=sorted(EMAILS))
def email(request) -> Email:
    return EMAILS[request.param]


def _state(email: Email, row) -> tuple:
    outbox = email.outbox
    with scopes_disabled():
        values = email.model.objects.filter(pk=row.pk).values(
            email.sent_at, outbox.attempts, outbox.next_attempt_at, outbox.error
        )
        return tuple(values.get().values())


def _deliver(email: Email, row, **kwargs):
    """Runs the row's task as a worker does, and returns what it sent."""
    before = len(mail.outbox)
    email.task.apply((row.pk, row.medspa_id), **kwargs)
    return [message.to for message in mail.outbox[before:]]


@pytest.fixture
def mail_server(monkeypatch):
    """A mail server that hangs up on the first `down` sends; later ones go."""
    send, tries, down = mail.EmailMessage.send, [], [1]

    def flaky(self, *args, **kwargs):
        tries.append(self.to)
        if len(tries) <= down[0]:
            raise smtplib.SMTPServerDisconnected("the mail server hung up")
        return send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky)
    return down


@pytest.mark.usefixtures("db")
def test_each_email_has_its_sweep_every_minute(email):
    beats = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beats[email.sweep_task.name] == 60.0


@pytest.mark.usefixtures("db", "media_and_sms")
def test_a_send_that_fails_is_retried_after_its_backoff_then_sent_once(email, request, mail_server):
    row, recipient = email.make(request)
    started = timezone.now()
    assert _deliver(email, row) == []  # the mail server hung up: recorded, not marked sent
    sent_at, attempts, retry_at, error = _state(email, row)
    assert (sent_at, attempts, error) == (None, 1, "the mail server hung up")
    assert started + once.retry_delay(1) <= retry_at <= timezone.now() + once.retry_delay(1)

    assert email.sweep(retry_at - timedelta(seconds=1)) == []  # still backing off
    assert email.sweep(retry_at) == [(row.pk, row.medspa_id)]
    sent = _deliver(email, row)
    assert len(sent) == 1 and recipient in sent[0]
    sent_at, attempts, next_attempt_at, error = _state(email, row)
    assert sent_at is not None and (attempts, next_attempt_at, error) == (2, None, "")
    assert email.sweep(retry_at + timedelta(hours=1)) == []  # sent: nothing owed any more
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("db", "media_and_sms")
def test_a_message_lost_before_its_task_ran_is_sent_by_the_sweep_after_the_lease(email, request, monkeypatch):
    row, recipient = email.make(request)  # its task was never run: the broker lost the message
    _, attempts, lease_end, _ = _state(email, row)
    assert attempts == 0 and lease_end is not None

    assert email.sweep(lease_end - timedelta(seconds=1)) == []
    assert email.sweep(lease_end) == [(row.pk, row.medspa_id)]
    # Queued again with a new lease, so the next minute's sweep does not queue it a second time.
    assert email.sweep(lease_end + timedelta(minutes=1)) == []

    # The beat task queues one task per row whose lease ran out; that task sends it.
    with scopes_disabled():
        email.model.objects.filter(pk=row.pk).update(**email.outbox.queued(timezone.now() - once.LEASE))
    queued = []
    monkeypatch.setattr(email.task, "delay", lambda *args: queued.append(args))
    assert email.sweep_task.apply().get() == 1
    assert queued == [(row.pk, row.medspa_id)]
    assert mail.outbox == []  # the beat task sends nothing itself
    sent = _deliver(email, row)
    assert len(sent) == 1 and recipient in sent[0]
    assert _state(email, row)[0] is not None


@pytest.mark.usefixtures("db", "media_and_sms")
def test_a_second_delivery_of_the_same_task_sends_nothing(email, request):
    row, recipient = email.make(request)
    message_id = str(uuid.uuid4())
    first = _deliver(email, row, task_id=message_id)
    assert len(first) == 1 and recipient in first[0]
    assert _deliver(email, row, task_id=message_id) == []  # the same message, delivered again
    sent_at, attempts, next_attempt_at, _ = _state(email, row)
    assert sent_at is not None and (attempts, next_attempt_at) == (1, None)


@pytest.mark.usefixtures("db", "media_and_sms")
def test_after_max_attempts_the_email_is_failed_and_staff_see_it(email, request, mail_server, client_as):
    mail_server[0] = once.MAX_ATTEMPTS  # the mail server never takes it
    row, _ = email.make(request)
    results = []
    for _ in range(once.MAX_ATTEMPTS + 1):
        due = _state(email, row)[2]
        if due is None:
            break
        assert email.sweep(due) == [(row.pk, row.medspa_id)]
        _deliver(email, row)
        results.append(_state(email, row)[1])
    assert results == list(range(1, once.MAX_ATTEMPTS + 1)) and mail.outbox == []
    assert _state(email, row) == (None, once.MAX_ATTEMPTS, None, "the mail server hung up")
    assert email.sweep(timezone.now() + timedelta(days=1)) == []  # given up: no more tries
    with scopes_disabled():
        assert list(email.outbox.failed(email.model.objects.all()).values_list("pk", flat=True)) == [row.pk]

    page = client_as("staff").get(email.staff_page(row))
    assert page.status_code == 200
    assert "failed: the mail server hung up" in page.content.decode()


def test_the_admin_sees_an_invitation_whose_email_failed(cast, client_as, mail_server):
    mail_server[0] = once.MAX_ATTEMPTS
    invitation = factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
    with scopes_disabled():
        for _ in range(once.MAX_ATTEMPTS):
            invitation.refresh_from_db()
            assert invitations.invitation_emails_sweep(now=invitation.email_next_attempt_at)
            medspa_tasks.invitation_email_send.apply((invitation.pk, invitation.medspa_id))
    page = client_as("admin_a").get(reverse("invitation_list")).content.decode()
    assert "The email could not be sent: the mail server hung up" in page
