"""Celery tasks of the Scheduling tab: they take ids, re-enter the medspa's scope and call services."""

from celery import shared_task

from medspa.celery import tasks_queue
from medspa.tenancy import medspa_scope
from scheduling.services import hooks, notifications, pre_visit


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def appointment_notify(appointment_id: int, medspa_id: int, kind: str, stands_at: str = "") -> None:
    """Sends the patient the `kind` notification of an appointment, once per channel (a reschedule notice:
    only while the appointment still stands at `stands_at`)."""
    with medspa_scope(medspa_id):
        notifications.appointment_notify(appointment_id=appointment_id, kind=kind, stands_at=stands_at)


@shared_task(bind=True)
def appointment_followups(self, appointment_id: int, medspa_id: int, kind: str) -> None:
    """A booking's follow-ups, queued from here as tasks of their own (each retried and delivered again on
    its own): the GFE's side and the patient's confirmation. Run in the process that booked because the
    broker did not take this message (medspa.celery.BrokerFallbackTask), it runs them there too, without
    asking the broker twice more. Delivered twice, it queues them twice, and each does its work once."""
    calls = hooks.followups(appointment_id, medspa_id, kind)
    if self.request.is_eager and not self.app.conf.task_always_eager:
        for name, args, _countdown in calls:
            self.app.tasks[name].run_here(args, None, None)
        return
    tasks_queue(calls)


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
