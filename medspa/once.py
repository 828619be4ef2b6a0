"""Exactly-once effects of tasks that Celery delivers at least once.

A message can come twice: a worker dies before it acknowledges, the broker redelivers after its visibility
timeout, or a task falls back to running in place. A task whose effect is an email claims its row first,
by setting a nullable time column in one conditional UPDATE, and sends only when the claim was its own."""

from collections.abc import Callable

from django.db.models import QuerySet
from django.utils import timezone


def send_once(row: QuerySet, field: str, send: Callable[[], None]) -> bool:
    """Runs `send` unless `field` of the one row in `row` is already set, and sets it first.

    The claim commits before the email goes (call it outside a transaction), so a second delivery, even a
    concurrent one, finds the row claimed: PostgreSQL re-checks `field IS NULL` after the first UPDATE's lock.
    If `send` raises, the claim is released and the error goes on, so the task's retry sends it.
    Returns whether this call sent."""
    if not row.filter(**{f"{field}__isnull": True}).update(**{field: timezone.now()}):
        return False
    try:
        send()
    except BaseException:
        row.update(**{field: None})
        raise
    return True
