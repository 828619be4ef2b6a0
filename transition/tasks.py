"""Celery tasks of the transition: the sweep runs each due step, and each step whose worker stopped mid-run
(beat, every minute: one indexed query); a person's action runs the step it unblocks at once. Tasks take
ids and re-enter the medspa's scope."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scopes_disabled

from medspa.once import send_once
from medspa.tenancy import medspa_scope
from transition import services
from transition.models import ConfirmationEmail


@shared_task
def steps_due() -> int:
    with scopes_disabled():
        due = services.steps_due()
    for step_id, medspa_id in due:
        step_run.delay(step_id, medspa_id)
    return len(due)


@shared_task
def step_run(step_id: int, medspa_id: int) -> None:
    with medspa_scope(medspa_id):
        services.step_run(step_id=step_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def confirmation_email(email_id: int, medspa_id: int) -> None:
    """Emails the provider the link that confirms the OpenPhone release (for the account entered now), once
    per time they asked for it."""
    with medspa_scope(medspa_id):
        emails = ConfirmationEmail.objects.select_related("transition__medspa", "user")
        email = emails.filter(pk=email_id).first()
        if email is None:
            return
        transition, user = email.transition, email.user
        token = services.confirmation_token(transition, user)
        link = settings.SITE_URL.rstrip("/") + reverse("transition_confirm:confirm", args=[token])
        context = {"transition": transition, "user": user, "link": link,
                   "acknowledgement": services.OPENPHONE_ACKNOWLEDGEMENT}  # fmt: skip
        message = EmailMessage(
            subject=f"Confirm the release of {transition.medspa.display_name}'s OpenPhone number",
            body=render_to_string("transition/email/confirm_release.txt", context),
            to=[user.email],
        )
        send_once(ConfirmationEmail.objects.filter(pk=email.pk), "sent_at", message.send)
