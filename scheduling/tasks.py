"""Celery tasks of the Scheduling tab: they take ids, re-enter the medspa's scope and call services."""

from celery import shared_task

from medspa.tenancy import medspa_scope
from scheduling.services import hooks, notifications, pre_visit


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def appointment_notify(appointment_id: int, medspa_id: int, kind: str, stands_at: str = "") -> None:
    """Sends the patient the `kind` notification of an appointment, once per channel (a reschedule notice:
    only while the appointment still stands at `stands_at`)."""
    with medspa_scope(medspa_id):
        notifications.appointment_notify(appointment_id=appointment_id, kind=kind, stands_at=stands_at)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def appointment_gfe(appointment_id: int, medspa_id: int, kind: str) -> None:
    """The GFE's side of a booking, a move or a cancellation (a GFE requested or closed), after commit."""
    with medspa_scope(medspa_id):
        hooks.appointment_gfe(appointment_id=appointment_id, kind=kind)


@shared_task
def reminders_sweep() -> int:
    """Every few minutes (Celery beat): queues one task per reminder that has come due."""
    return notifications.reminders_sweep(
        enqueue=lambda pk, medspa_id, kind: appointment_notify.delay(pk, medspa_id, kind)
    )


@shared_task
def paperwork_reminders_sweep() -> int:
    """Every few minutes (Celery beat): queues one task per paperwork reminder that has come due."""
    return pre_visit.paperwork_reminders_sweep(
        enqueue=lambda pk, medspa_id, kind: appointment_notify.delay(pk, medspa_id, kind)
    )


@shared_task
def pre_visit_care_sweep() -> int:
    """Every few minutes (Celery beat): queues one task per pre-visit care message that has come due."""
    return pre_visit.pre_visit_care_sweep(
        enqueue=lambda pk, medspa_id, kind: appointment_notify.delay(pk, medspa_id, kind)
    )


@shared_task
def notification_send(log_id: int, medspa_id: int) -> None:
    """Sends one pending notification that the sweep found, marking it sent once."""
    with medspa_scope(medspa_id):
        notifications.notification_deliver(log_id=log_id)


@shared_task
def notifications_sweep() -> int:
    """Every minute (Celery beat): queues one task per notification left pending past its lease (a worker
    killed mid-send, a message the broker lost) or due for a retry after a failed send."""
    due = notifications.notifications_sweep()
    for log_id, medspa_id in due:
        notification_send.delay(log_id, medspa_id)
    return len(due)
