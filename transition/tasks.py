"""Celery tasks of the transition: the sweep runs each due step, and each step whose worker stopped mid-run
(beat, every minute: one indexed query); a person's action runs the step it unblocks at once. Tasks take
ids and re-enter the medspa's scope."""

from celery import shared_task
from django_scopes import scopes_disabled

from medspa.tenancy import medspa_scope
from transition.services import confirmation_emails, runner


@shared_task
def steps_due() -> int:
    with scopes_disabled():
        due = runner.steps_due()
    for step_id, medspa_id in due:
        step_run.delay(step_id, medspa_id)
    return len(due)


@shared_task
def step_run(step_id: int, medspa_id: int) -> None:
    with medspa_scope(medspa_id):
        runner.step_run(step_id=step_id)


@shared_task
def confirmation_email(email_id: int, medspa_id: int) -> None:
    """Emails the provider the link that confirms the OpenPhone release, once per time they asked for it."""
    with medspa_scope(medspa_id):
        confirmation_emails.confirmation_email_send(email_id=email_id)


@shared_task
def confirmation_emails_sweep() -> int:
    """Every minute (Celery beat): queues one task per confirmation email left owed past its lease or due
    for a retry."""
    due = confirmation_emails.confirmation_emails_sweep()
    for email_id, medspa_id in due:
        confirmation_email.delay(email_id, medspa_id)
    return len(due)
