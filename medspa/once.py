"""Exactly-once effects of tasks that Celery delivers at least once.

A message can come twice: the broker redelivers after its visibility timeout or when a worker died before
its ack, or a task falls back to running in place. A task whose effect is an email marks its row (a
nullable time column) in the transaction that holds the row's lock while the email goes."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone


def send_once(row: QuerySet, field: str, send: Callable[[], None]) -> bool:
    """Runs `send` unless `field` of the one row in `row` is set, then sets it; returns whether it sent.

    The row stays locked (SELECT ... FOR UPDATE) while `send` runs, at most the mail server's timeout: a
    second delivery waits, then finds `field` set (PostgreSQL re-checks the condition after the lock) and
    sends nothing. If `send` raises, or the worker dies before the commit, nothing is marked and the email
    goes on the retry or the redelivery: an email may go twice only if the process dies between the mail
    server's answer and the commit, never not at all. `durable` refuses to run inside another transaction,
    whose rollback would unmark a sent email."""
    with transaction.atomic(durable=True):
        if not row.select_for_update().filter(**{f"{field}__isnull": True}).values_list("pk").first():
            return False
        send()
        row.update(**{field: timezone.now()})
    return True
