"""A task queued after commit travels through the configured broker (Redis in CI, the folder broker on a
machine with nothing configured) to a real worker, which re-enters the medspa's scope and does the work."""

import sys
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.exceptions import NotRegistered
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import transaction
from django.utils import timezone

from medspa.celery import app, task_queue
from medspa.services import accounts as services

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
