"""Celery tasks of GFE management: they take ids, re-enter the medspa's scope and call services; the nightly
jobs work across medspas."""

from celery import shared_task

from gfe.services import clearances, emails, jobs
from medspa.tenancy import medspa_scope


@shared_task
def gfe_request_notify_clearer(request_id: int, medspa_id: int) -> None:
    """Emails the medspa's own clearing provider the secure review link of a new request, once."""
    with medspa_scope(medspa_id):
        emails.gfe_request_notify_clearer(request_id=request_id)


@shared_task
def gfe_request_notify_decided(request_id: int, medspa_id: int) -> None:
    """Tells whoever requested the GFE, and the patient's assigned providers, that it was decided, once."""
    with medspa_scope(medspa_id):
        emails.gfe_request_notify_decided(request_id=request_id)


@shared_task
def gfe_emails_sweep() -> int:
    """Every minute (Celery beat): queues one task per GFE email left owed past its lease or due for a
    retry."""
    to_clearers, decisions = emails.gfe_emails_sweep()
    for request_id, medspa_id in to_clearers:
        gfe_request_notify_clearer.delay(request_id, medspa_id)
    for request_id, medspa_id in decisions:
        gfe_request_notify_decided.delay(request_id, medspa_id)
    return len(to_clearers) + len(decisions)


@shared_task
def clearances_expire_nightly() -> int:
    """Nightly (Celery beat): clearances past their date, and requests nobody decided in time, expire."""
    return clearances.clearances_expire()


@shared_task
def clearance_expiry_reminders() -> int:
    """Daily (Celery beat): a reminder 30 days before a clearance expires, once per clearance."""
    return jobs.clearance_expiry_reminders_send()
