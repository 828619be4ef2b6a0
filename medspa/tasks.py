"""Celery tasks of the core app: they take ids, re-enter the medspa's scope and call services."""

import logging

import stripe
from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from medspa.models import UserSession
from medspa.payments import balance, charges
from medspa.services import backups, invitations, patient_import
from medspa.tenancy import medspa_scope

logger = logging.getLogger(__name__)


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


@shared_task
def card_payment_fees_learn(payment_id: int) -> bool:
    """After a card payment succeeded: Stripe's fee and net of it, from its balance transaction."""
    return balance.card_payment_fees_learn(payment_id=payment_id)


@shared_task
def card_fees_sweep() -> int:
    """Hourly: the fees still unknown of payments that succeeded while Stripe was out of reach."""
    return balance.card_fees_sweep()


@shared_task(autoretry_for=(stripe.StripeError,), retry_backoff=60, max_retries=5)
def payout_record(account: str, payout_id: str, arrived: int | None = None) -> int:
    """After payout.paid: marks the card payments the payout paid out (Stripe lists them)."""
    return balance.payout_record(account=account, payout_id=payout_id, arrived=arrived)


@shared_task
def pending_payments_resend() -> int:
    """Every three minutes (Celery beat): card payments left pending when Stripe was out of reach are asked
    again with their own idempotency key, so Stripe answers once (charging now, or replaying)."""
    return charges.pending_payments_resend()


@shared_task
def database_backup() -> str | None:
    """Daily at 03:15 UTC (Celery beat): an encrypted backup of the database to the backups storage, once
    per UTC day, then the rotation. Within the workers' time limits (CELERY_TASK_TIME_LIMIT); a failure is
    logged as an error (and so reaches Sentry when SENTRY_DSN is set) and fails the task."""
    try:
        manifest = backups.backup_daily()
    except Exception:
        logger.exception("Database backup failed")
        raise
    return manifest.name if manifest else None
