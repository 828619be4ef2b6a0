"""A task queued after commit travels through the configured broker (Redis in CI, the folder broker on a
machine with nothing configured) to a real worker, which re-enters the medspa's scope and does the work."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import transaction

from medspa import services
from medspa.celery import app


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
