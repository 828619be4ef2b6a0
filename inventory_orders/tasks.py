"""Celery tasks of inventory ordering: they take ids, re-enter the medspa's scope and call services."""

from celery import shared_task

from inventory_orders.services import emails
from medspa.tenancy import medspa_scope


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def order_event_email(event_id: int, medspa_id: int) -> None:
    """Emails the medspa's admins one step of an order, once."""
    with medspa_scope(medspa_id):
        emails.order_event_email(event_id=event_id)


@shared_task
def order_emails_sweep() -> int:
    """Every minute (Celery beat): queues one task per order email left owed past its lease or due again."""
    due = emails.order_emails_sweep()
    for event_id, medspa_id in due:
        order_event_email.delay(event_id, medspa_id)
    return len(due)
