"""Celery tasks of the Provider dashboard: they take ids, re-enter the medspa's scope and call services."""

from celery import shared_task

from medspa.tenancy import medspa_scope
from providers.services import care_messages, checkout


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def visit_care_messages_send(visit_id: int, medspa_id: int) -> int:
    """Sends a completed visit's care messages, once per message and channel."""
    with medspa_scope(medspa_id):
        return care_messages.visit_care_messages_send(visit_id=visit_id)


@shared_task
def care_message_send(log_id: int, medspa_id: int) -> None:
    """Sends one care message the sweep found owed, once."""
    with medspa_scope(medspa_id):
        care_messages.care_message_send(log_id=log_id)


@shared_task
def care_messages_sweep() -> int:
    """Every minute (Celery beat): queues one task per care message left owed past its lease or due for a
    retry."""
    due = care_messages.care_messages_sweep()
    for log_id, medspa_id in due:
        care_message_send.delay(log_id, medspa_id)
    return len(due)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def sale_receipt_send(sale_id: int, medspa_id: int) -> None:
    """Emails a paid sale's receipt, once."""
    with medspa_scope(medspa_id):
        checkout.sale_receipt_send(sale_id=sale_id)


@shared_task
def sale_receipts_sweep() -> int:
    """Every minute (Celery beat): queues one task per receipt left owed past its lease or due for a retry."""
    due = checkout.sale_receipts_sweep()
    for sale_id, medspa_id in due:
        sale_receipt_send.delay(sale_id, medspa_id)
    return len(due)
