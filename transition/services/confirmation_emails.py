"""The email with the link that confirms the OpenPhone release: owed by its ConfirmationEmail row until sent
(medspa.once), so that a worker killed mid-send, a lost message or a mail server that refused does not leave
the provider without the link they asked for."""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scopes_disabled

from medspa import once
from transition.models import ConfirmationEmail
from transition.models.records import CONFIRMATION_EMAILS
from transition.models.transitions import OPENPHONE_ACKNOWLEDGEMENT
from transition.services.confirmations import confirmation_token


def confirmation_email_send(*, email_id: int) -> str:
    """Emails the provider the link that confirms the OpenPhone release (for the account entered now):
    marked sent in the transaction that holds the row while the email goes, sent again by the sweep if a
    worker died or the mail server refused."""
    row = ConfirmationEmail.objects.filter(pk=email_id)
    email = CONFIRMATION_EMAILS.owing(row).select_related("transition__medspa", "user").first()
    if email is None:
        return ""
    transition, user = email.transition, email.user
    token = confirmation_token(transition, user)
    link = settings.SITE_URL.rstrip("/") + reverse("transition_confirm:confirm", args=[token])
    context = {
        "transition": transition,
        "user": user,
        "link": link,
        "acknowledgement": OPENPHONE_ACKNOWLEDGEMENT,
    }
    message = EmailMessage(
        subject=f"Confirm the release of {transition.medspa.display_name}'s OpenPhone number",
        body=render_to_string("transition/email/confirm_release.txt", context),
        to=[user.email],
    )
    return once.deliver_once(row, CONFIRMATION_EMAILS, message.send)


def confirmation_emails_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (row id, medspa id) of every confirmation email whose lease ran out or whose retry is due."""
    with scopes_disabled():
        return once.owed_sweep(ConfirmationEmail.objects.all(), CONFIRMATION_EMAILS, now=now)
