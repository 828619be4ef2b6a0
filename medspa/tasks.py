"""Celery tasks of the core app: they take ids, re-enter the medspa's scope and call services."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from medspa.models import UserSession
from medspa.services import invitations, patient_import
from medspa.tenancy import medspa_scope


@shared_task
def invitation_email_send(invitation_id: int, medspa_id: int) -> None:
    """Emails the invitation link, once however often the message comes."""
    with medspa_scope(medspa_id):
        invitations.invitation_email_send(invitation_id=invitation_id)


@shared_task
def invitation_emails_sweep() -> int:
    """Every minute (Celery beat): queues one task per invitation email left owed past its lease or due
    for a retry."""
    due = invitations.invitation_emails_sweep()
    for invitation_id, medspa_id in due:
        invitation_email_send.delay(invitation_id, medspa_id)
    return len(due)


@shared_task
def patient_imports_purge() -> int:
    """Hourly: patient data in CSV previews is not kept longer than needed."""
    return patient_import.patient_imports_purge()


@shared_task
def sessions_clear_expired() -> int:
    """Hourly: deletes expired sessions and the bookkeeping rows that pointed at them."""
    expired = Session.objects.filter(expire_date__lt=timezone.now())
    keys = list(expired.values_list("session_key", flat=True))
    expired.delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    # Bookkeeping rows whose session vanished some other way (logout elsewhere, a flushed store).
    UserSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()
    return len(keys)
