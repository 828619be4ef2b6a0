"""The invitation email: owed by its invitation until sent (medspa.once), so that a worker killed mid-send,
a lost message or a mail server that refused does not leave an invited person without their link."""

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scopes_disabled

from medspa import once
from medspa.models import Invitation

# Where an invitation keeps its email: owed until emailed or given up (or no longer usable).
INVITATION_EMAILS = once.Outbox.stamped("emailed_at", prefix="email_")


def invitation_email_send(*, invitation_id: int) -> str:
    """Emails the invitation link: marked emailed in the transaction that holds the invitation while the
    email goes, sent again by the sweep if a worker died or the mail server refused."""
    row = Invitation.objects.filter(pk=invitation_id)
    invitation = INVITATION_EMAILS.owing(row).select_related("medspa", "invited_by").first()
    if invitation is None:
        return ""
    if not invitation.is_usable:
        row.update(email_next_attempt_at=None)  # accepted, revoked or expired: nothing is owed any more
        return ""
    link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[invitation.token])
    context = {"invitation": invitation, "link": link}

    def send() -> None:
        send_mail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You are invited to {invitation.medspa.name}",
            message=render_to_string("medspa/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )

    return once.deliver_once(row, INVITATION_EMAILS, send)


def invitation_emails_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (invitation id, medspa id) of every invitation email whose lease ran out or whose retry is due."""
    with scopes_disabled():
        return once.owed_sweep(Invitation.objects.all(), INVITATION_EMAILS, now=now)
