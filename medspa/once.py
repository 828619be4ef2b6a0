"""Exactly-once effects of tasks that Celery delivers at least once.

A message can come twice: the broker redelivers after its visibility timeout or when a worker died before
its ack, or a task falls back to running in place; and it can be lost (a worker killed mid-send, a folder
broker that deleted it with the worker). A row that owes an email is marked sent in the transaction that
holds the row's lock while the email goes, and a sweep queues again what stayed owed past its lease."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


# --- Messages owed: delivered at least once, recorded once -------------------------------------------------

# How long a queued message may take before the sweep queues it again: a worker killed mid-send (or a
# folder broker that deleted the message with the worker) leaves the row owed, and its lease runs out.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6  # then the row says failed, for staff to see; retries wait 1, 2, 4, 8 and 16 minutes
FIRST_RETRY, LAST_RETRY = timedelta(minutes=1), timedelta(hours=1)
SENT, RETRY, FAILED = "sent", "retry", "failed"


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed send: doubling from a minute, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)


@dataclass(frozen=True)
class Outbox:
    """Where a model's rows keep one message each: the row owes the message while `next_attempt_at` is set
    (and `owed` matches); `sent` marks it sent, `retrying` marks a failed send that will be tried again,
    `given_up` marks it failed for good after MAX_ATTEMPTS."""

    sent: Callable[[datetime], dict]
    given_up: dict = field(default_factory=dict)
    retrying: dict = field(default_factory=dict)
    owed: dict = field(default_factory=dict)
    attempts: str = "attempts"
    next_attempt_at: str = "next_attempt_at"
    error: str = "detail"
    # The fields a sent row gets from what `send` returned (e.g. an SMS provider's message id), if any.
    receipt: Callable[[object], dict] | None = None

    @classmethod
    def stamped(
        cls, stamp: str, *, prefix: str = "", owed: dict | None = None, touch: tuple = ()
    ) -> "Outbox":
        """The common shape: a row owes its message until `stamp` (a time field) is set, and keeps its
        bookkeeping in `<prefix>attempts`, `<prefix>next_attempt_at` and `<prefix>error`; `touch` names
        time fields set with the stamp."""
        error = f"{prefix}error"
        return cls(
            owed={**(owed or {}), f"{stamp}__isnull": True},
            sent=lambda now: {stamp: now, error: "", **dict.fromkeys(touch, now)},
            attempts=f"{prefix}attempts",
            next_attempt_at=f"{prefix}next_attempt_at",
            error=error,
        )

    def queued(self, now: datetime | None = None) -> dict:
        """The fields of a row whose message is queued now: the sweep takes it if the lease runs out."""
        return {self.next_attempt_at: (now or timezone.now()) + LEASE}

    def owing(self, rows: QuerySet) -> QuerySet:
        return rows.filter(**self.owed, **{f"{self.next_attempt_at}__isnull": False})

    def failed(self, rows: QuerySet) -> QuerySet:
        """The rows whose message was given up after MAX_ATTEMPTS failed sends: staff see them."""
        return rows.filter(
            **self.owed, **{f"{self.next_attempt_at}__isnull": True, f"{self.attempts}__gte": MAX_ATTEMPTS}
        )


def deliver_once(
    row: QuerySet,
    outbox: Outbox,
    send: Callable[[], None],
    *,
    now: datetime | None = None,
    durable: bool = True,
) -> str:
    """Sends the message the one row in `row` owes, and marks it sent in the same transaction; returns
    SENT, RETRY, FAILED, or "" when nothing is owed or another worker holds the row.

    The row stays locked (SELECT ... FOR UPDATE) while `send` runs, at most the mail server's timeout, so
    the mark is written once: a second delivery meanwhile skips the locked row, and one after the commit
    finds nothing owed. A worker that dies mid-send leaves the row owed and unlocked, and `owed_sweep`
    queues it again when its lease runs out. A send that raises is recorded (attempts, error) and tried
    again after `retry_delay`, until MAX_ATTEMPTS.
    `durable` refuses to run inside another transaction, whose rollback would unmark a sent email; a caller
    that is outside any transaction by construction (a view marked non-atomic) may pass durable=False."""
    now = now or timezone.now()
    with transaction.atomic(durable=durable):
        attempts = (
            outbox.owing(row)
            .select_for_update(skip_locked=True)
            .values_list(outbox.attempts, flat=True)
            .first()
        )
        if attempts is None:
            return ""
        attempts += 1
        try:
            sent = send()
        except SoftTimeLimitExceeded:  # the task's time is up, not the send's fault: the row stays owed
            raise
        except Exception as error:  # whatever the backend raised: the row says so, the log has the trace
            logger.warning(
                "Sending the message of %s failed (attempt %s)", row.model.__name__, attempts, exc_info=True
            )
            detail = (" ".join(str(error).split()) or type(error).__name__)[:300]
            # An error the sender marks permanent (a refused number, no number to send from) is not retried.
            given_up = attempts >= MAX_ATTEMPTS or getattr(error, "permanent", False)
            row.update(
                **{outbox.attempts: attempts, outbox.error: detail},
                **{outbox.next_attempt_at: None if given_up else now + retry_delay(attempts)},
                **(outbox.given_up if given_up else outbox.retrying),
            )
            return FAILED if given_up else RETRY
        receipt = outbox.receipt(sent) if outbox.receipt else {}
        row.update(**outbox.sent(now), **receipt, **{outbox.attempts: attempts, outbox.next_attempt_at: None})
    return SENT


def owed_sweep(rows: QuerySet, outbox: Outbox, *, now: datetime | None = None, limit: int = 500) -> list:
    """The (pk, medspa_id) of the rows whose message is due (a lease run out, or a retry's time come), each
    given a new lease so that the next sweep does not queue it again while its task waits in the broker.
    The caller queues one task per row."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            outbox.owing(rows)
            .filter(**{f"{outbox.next_attempt_at}__lte": now})
            .order_by(outbox.next_attempt_at)
            .select_for_update(skip_locked=True)
            .values_list("pk", "medspa_id")[:limit]
        )
        rows.filter(pk__in=[pk for pk, _ in due]).update(**outbox.queued(now))
    return due
