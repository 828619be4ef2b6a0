"""Celery tasks of the Scheduling tab: they take ids, re-enter the medspa's scope and call services."""

from celery import shared_task

from medspa.tenancy import medspa_scope
from scheduling import notifications


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def appointment_notify(appointment_id: int, medspa_id: int, kind: str) -> None:
    """Sends the patient the `kind` notification of an appointment, once per channel."""
    with medspa_scope(medspa_id):
        notifications.appointment_notify(appointment_id=appointment_id, kind=kind)


@shared_task
def reminders_sweep() -> int:
    """Every few minutes (Celery beat): sends the reminders that have come due."""
    return notifications.reminders_sweep()
