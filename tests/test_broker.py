"""A task queued after commit travels through the configured broker (Redis in CI, the folder broker on a
machine with nothing configured) to a real worker, which re-enters the medspa's scope and does the work."""

import json
import sys
import time
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.exceptions import NotRegistered
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import transaction
from django.utils import timezone

from medspa.celery import app, task_queue, tasks_queue
from medspa.services import accounts as services
from tests.test_faults import _free_port, broker_at

pytestmark = pytest.mark.slow  # starts a redis-server of its own


@pytest.fixture
def real_broker():
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_an_invitation_email_goes_through_the_broker_to_a_worker(transactional_db, cast, real_broker):
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
        with transaction.atomic():
            services.invitation_create(
                medspa=cast.medspa_a,
                invited_by=cast.admin_a,
                email="through.broker@example.com",
                as_admin=False,
                as_provider=True,
                as_coordinator=False,
            )
            assert mail.outbox == []  # nothing leaves before the commit
        deadline = time.monotonic() + 30
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [message.to for message in mail.outbox] == [["through.broker@example.com"]]
    assert settings.CELERY_BROKER_URL.split(":")[0] in {"redis", "filesystem"}


def test_a_task_queued_by_name_is_found_before_anything_imported_its_module(db, monkeypatch):
    """Services queue tasks by name and never import the tasks module: the first queuing imports it."""
    monkeypatch.delitem(sys.modules, "medspa.tasks", raising=False)
    monkeypatch.delitem(app.tasks, "medspa.tasks.sessions_clear_expired", raising=False)
    yesterday = timezone.now() - timedelta(days=1)
    Session.objects.create(session_key="gone", session_data="", expire_date=yesterday)

    task_queue("medspa.tasks.sessions_clear_expired")

    assert "medspa.tasks.sessions_clear_expired" in app.tasks
    assert not Session.objects.filter(session_key="gone").exists()  # it ran (eagerly, in the tests)


def test_a_task_name_that_names_no_task_is_refused_loudly():
    with pytest.raises(NotRegistered):
        task_queue("medspa.tasks.no_such_task")
    with pytest.raises(ModuleNotFoundError):
        task_queue("medspa.no_such_module.task")


# --- Several tasks in one write -----------------------------------------------------------------------


def _messages(client, queue: str) -> list[dict]:
    """The messages waiting in a Redis broker's queue: each task's name, arguments, id and ETA."""
    held = []
    for raw in client.lrange(queue, 0, -1):
        headers = json.loads(raw)["headers"]
        held.append({"task": headers["task"], "args": headers["argsrepr"], "id": headers["id"]})
        held[-1]["eta"] = headers["eta"]
    return sorted(held, key=lambda message: message["task"])


def test_tasks_queued_together_reach_redis_in_one_pipeline_each_as_queued_alone(redis_process, monkeypatch):
    """A booking's follow-ups (medspa.celery.tasks_queue): both messages in the queue, each with its own id,
    its arguments and its countdown, written in one pipeline (one execute of a non-transactional pipeline)."""
    executes = []
    original = redis.client.Pipeline.execute

    def execute(self, *args, **kwargs):
        executes.append([command[0][0] for command in self.command_stack])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    with broker_at(redis_process.url(0), dict(settings.REDIS_BROKER_OPTIONS)):
        tasks_queue([
            ("scheduling.tasks.appointment_gfe", (7, 3, "confirmation"), None),
            ("scheduling.tasks.appointment_notify", (7, 3, "reschedule", "Tue 10:00"), 45),
        ])  # fmt: skip
    held = _messages(redis.Redis.from_url(redis_process.url(0)), settings.CELERY_TASK_DEFAULT_QUEUE)
    assert [(m["task"], m["args"]) for m in held] == [
        ("scheduling.tasks.appointment_gfe", "(7, 3, 'confirmation')"),
        ("scheduling.tasks.appointment_notify", "(7, 3, 'reschedule', 'Tue 10:00')"),
    ]
    assert held[0]["eta"] is None and held[1]["eta"] is not None  # the countdown, as apply_async sets it
    assert held[0]["id"] != held[1]["id"]
    # Both pushes in one round trip (before it, the first publish's declarations of the queue)
    assert ["LPUSH", "LPUSH"] in executes


def test_tasks_queued_together_with_the_broker_down_each_run_here_once(db, caplog, monkeypatch):
    """Nothing listens on the broker's port: each task runs in this process once, its refusal logged."""
    ran = []
    monkeypatch.setattr(
        "scheduling.services.notifications.appointment_notify",
        lambda **kwargs: ran.append(("notify", kwargs["appointment_id"], kwargs["kind"])),
    )
    monkeypatch.setattr(
        "scheduling.services.hooks.appointment_gfe",
        lambda **kwargs: ran.append(("gfe", kwargs["appointment_id"], kwargs["kind"])),
    )
    with broker_at(f"redis://127.0.0.1:{_free_port()}/0"):
        tasks_queue([
            ("scheduling.tasks.appointment_gfe", (7, 3, "confirmation"), None),
            ("scheduling.tasks.appointment_notify", (7, 3, "confirmation"), None),
        ])  # fmt: skip
    assert sorted(ran) == [("gfe", 7, "confirmation"), ("notify", 7, "confirmation")]
    refused = [r for r in caplog.records if r.name == "medspa.celery" and "did not take" in r.getMessage()]
    assert sorted(r.args[0] for r in refused) == [
        "scheduling.tasks.appointment_gfe",
        "scheduling.tasks.appointment_notify",
    ]
