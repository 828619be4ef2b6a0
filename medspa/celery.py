"""The Celery application. Tasks take ids, re-enter the tenant scope and call services (see medspa.tasks).

The broker down: a task is queued after its transaction commits (`transaction.on_commit(... .delay())`), so
by then the data is saved and the page has done its work. If the broker cannot take the message, the task
runs at once in the process that queued it (the web request, beat, or a worker's retry) instead of being
lost, and the refusal is logged as an error. Every task is at-least-once safe (tests/test_faults.py), so a
message that did reach the broker although the publish reported an error is not done twice either. A Redis
that stops answering without closing the connection (a failover, a firewall) fails a publish after a few
seconds instead of holding the page forever.

Tasks call services, never the reverse: a service queues its app's tasks by name (`task_queue`), so that no
service imports the tasks module that imports it."""

import functools
import importlib
import logging
import os

from celery import Celery, Task
from kombu.exceptions import OperationalError
from kombu.utils.uuid import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")

logger = logging.getLogger(__name__)

# Redis calls give up after this many seconds (kombu waits forever by default), and a publish that failed is
# tried once more before the task runs in place: a page waits at most about 2 x 3 s for a silent broker.
REDIS_TIMEOUTS = {"socket_connect_timeout": 3, "socket_timeout": 3}
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class BrokerFallbackTask(Task):
    """A task whose queuing never fails for want of a broker: it then runs here and now, its own errors
    logged (never raised into the page that queued it)."""

    def apply_async(self, args=None, kwargs=None, task_id=None, *rest, **options):
        if self.app.conf.task_always_eager:  # runs here anyway (the tests): nothing is published
            return super().apply_async(args, kwargs, task_id, *rest, **options)
        # One id for the message and for the run here, should the broker have taken it after all.
        task_id = task_id or uuid()
        try:
            return super().apply_async(args, kwargs, task_id, *rest, **options)
        except OperationalError:
            logger.error(
                "The broker did not take %s: running it in this process instead", self.name, exc_info=True
            )
        return self.run_here(args, kwargs, task_id)

    def run_here(self, args, kwargs, task_id):
        """Runs the task in this process, its errors logged, never raised."""
        result = self.apply(args, kwargs, task_id=task_id, throw=False)
        if result.failed():
            logger.error("%s failed in this process: %r\n%s", self.name, result.result, result.traceback)
        return result


def broker_transport_options(broker_url: str, options: dict | None) -> dict:
    """The configured transport options, with bounded socket timeouts for a Redis broker."""
    if str(broker_url or "").startswith(("redis://", "rediss://")):
        return {**REDIS_TIMEOUTS, **(options or {})}
    return dict(options or {})


app = Celery("medspa", task_cls=BrokerFallbackTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _task(name: str) -> Task:
    """The registered task called `name` ("<app>.tasks.<function>"), its module imported on first use; an
    unknown name raises."""
    if name not in app.tasks:
        importlib.import_module(name.rpartition(".")[0])
    return app.tasks[name]


@functools.cache
def _broker_errors() -> tuple[type[BaseException], ...]:
    """What a publish to the broker raises when the broker cannot take it (kombu's and its transport's)."""
    with app.connection_for_write() as connection:
        return (OperationalError, *connection.connection_errors)


def task_queue(name: str, *args, countdown: int | None = None) -> None:
    """Queues the task called `name` ("<app>.tasks.<function>") with `args`, at once (or to run `countdown`
    seconds later): call it from `transaction.on_commit`. The task is the registered one, so it is queued
    exactly as its `.delay()` would be, with the broker fallback above. An unknown name raises."""
    if countdown:
        _task(name).apply_async(args, countdown=countdown)
    else:
        _task(name).delay(*args)


def tasks_queue(calls: list[tuple[str, tuple, int | None]]) -> None:
    """Queues several tasks, each (name, args, countdown) as task_queue takes them, in one write to the
    broker: kombu's Producer.batch sends them in one Redis pipeline, which costs the process that queues
    them less CPU than a publish each (one client, one round trip), a booking's two follow-ups among them
    (https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.html#kombu.Producer.batch; a broker
    without batches publishes each at once). The broker not taking the batch, each task runs here, as
    BrokerFallbackTask runs one: a message Redis took before the write failed then runs twice, with one
    id, as any redelivery does (every task is at-least-once safe)."""
    if app.conf.task_always_eager or len(calls) < 2:
        for name, args, countdown in calls:
            task_queue(name, *args, countdown=countdown)
        return
    queued = [(_task(name), args, countdown, uuid()) for name, args, countdown in calls]
    try:
        with app.producer_or_acquire() as producer, producer.batch():
            for task, args, countdown, task_id in queued:
                Task.apply_async(task, args, task_id=task_id, countdown=countdown, producer=producer)
        return
    except _broker_errors():
        for task, *_ in queued:
            logger.error(
                "The broker did not take %s: running it in this process instead", task.name, exc_info=True
            )
    for task, args, _countdown, task_id in queued:
        task.run_here(args, None, task_id)


@app.on_after_configure.connect
def _bounded_publishing(sender, source, **kwargs) -> None:
    source.broker_transport_options = broker_transport_options(
        source.broker_url, source.broker_transport_options
    )
    source.task_publish_retry_policy = PUBLISH_RETRY_POLICY
