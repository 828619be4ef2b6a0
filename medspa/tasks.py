"""Celery tasks of the core app: they take ids, re-enter the medspa's scope and call services."""

from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from medspa import patient_import
from medspa.models import Invitation, UserSession
from medspa.once import send_once
from medspa.tenancy import medspa_scope


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def invitation_email_send(invitation_id: int, medspa_id: int) -> None:
    """Emails the invitation link, once however often the message comes."""
    with medspa_scope(medspa_id):
        invitation = (
            Invitation.objects.select_related("medspa", "invited_by").filter(pk=invitation_id).first()
        )
        if invitation is None or not invitation.is_usable:
            return
        link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[invitation.token])
        context = {"invitation": invitation, "link": link}
        send_once(
            Invitation.objects.filter(pk=invitation.pk),
            "emailed_at",
            lambda: send_mail(
                subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You are invited to {invitation.medspa.name}",
                message=render_to_string("medspa/email/invitation.txt", context),
                from_email=None,
                recipient_list=[invitation.email],
            ),
        )


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
