"""Drill: a real Celery worker (the prefork pool, as in production: the solo pool has no time limits) stops
a transition step at the soft time limit. The Acuity import asks Acuity, played by the loopback stub, which
holds its answer past the limit; the worker raises SoftTimeLimitExceeded in the task, the step is given back
(pending, due at once, its lease released) instead of failing or waiting out its lease, and the next sweep,
Acuity answering again, imports the appointment once."""

import time
from datetime import timedelta

import pytest
from django.conf import settings

from tests import factories
from tests.stub_server import AC
from tests.test_delivery_drill import _stop, _wait_for
from tests.test_delivery_drill import _worker as drill_worker
from tests.test_faults import broker_at
from tests.test_transition_drill import VENDOR_SETTINGS
from transition import tasks
from transition.models import AcuityBooking, TransitionStep
from transition.models.records import ImportStatus
from transition.models.transitions import StepKind, StepStatus
from transition.tests.test_transition import acuity_row, at, effective, schedule, steps

pytestmark = pytest.mark.slow  # starts a Celery worker and a redis-server

SOFT, HARD = 10, 90  # the drill's time limits, in seconds (the product's: 540 and 600)
HELD = 45  # seconds Acuity holds its first answer: past the soft limit


@pytest.mark.scopes_disabled(reason="checks the step sweep over every medspa")
def test_a_real_worker_gives_a_step_back_at_the_soft_time_limit_and_the_sweep_finishes_it_once(
    transactional_db, cast, legacy, configured, redis_process, tmp_path, monkeypatch
):
    monkeypatch.setenv("DRILL_POOL", "prefork")
    medspa, stub = legacy["medspa"], configured
    day = effective(medspa, 0)
    factories.PatientFactory(medspa=medspa, first_name="Jo", last_name="Patient", email="jo@example.com")
    stub.state.appointments.append(acuity_row(7201, at(medspa, day + timedelta(days=3), 10)))
    transition = schedule(cast, medspa, day, keeps=True)
    step = steps(transition)[StepKind.ACUITY_IMPORT]
    assert step.status == StepStatus.PENDING
    stub.script("GET", f"{AC}/appointments", hang=HELD)  # the first window's answer, held
    broker = {"url": redis_process.url(0), "options": dict(settings.REDIS_BROKER_OPTIONS)}
    output = tmp_path / "worker.log"
    own = {name: getattr(settings, name) for name in VENDOR_SETTINGS}
    own |= {"INTEGRATION_TIMEOUT_SECONDS": HELD * 2, "INTEGRATION_MAX_ATTEMPTS": 1}
    own |= {"CELERY_TASK_SOFT_TIME_LIMIT": SOFT, "CELERY_TASK_TIME_LIMIT": HARD}
    (tmp_path / "mail").mkdir()

    with broker_at(broker["url"], broker["options"]):
        worker = drill_worker(broker, tmp_path / "mail", output, own)
        try:
            # A message carries the limits of the process that queued it (the worker's own: SOFT and HARD).
            tasks.step_run.apply_async((step.pk, medspa.pk), soft_time_limit=SOFT, time_limit=HARD)
            _wait_for(lambda: stub.requests_to("GET", f"{AC}/appointments"), "Acuity asked", output)
            asked = time.monotonic()
            running = TransitionStep.objects.filter(pk=step.pk, status=StepStatus.IN_PROGRESS)
            _wait_for(lambda: not running.exists(), "the step given back", output)
            given_back = time.monotonic() - asked
            step.refresh_from_db()
            given = (step.status, step.attempts, step.lease_until)
            assert given == (StepStatus.PENDING, 1, None), step.detail
            assert given_back < HELD  # at the soft limit, not when Acuity answered nor at the hard limit
            assert step.detail.startswith("Attempt 1 of 5 reached the time limit of a background task")

            tasks.steps_due.delay()  # as beat does every minute
            _wait_for(
                lambda: TransitionStep.objects.get(pk=step.pk).status == StepStatus.DONE, "step done", output
            )
        finally:
            _stop(worker)

    step.refresh_from_db()
    assert step.attempts == 2
    assert list(AcuityBooking.objects.values_list("acuity_id", "status")) == [(7201, ImportStatus.IMPORTED)]
    assert transition.timeline.filter(step=step, message__contains="reached the time limit").count() == 1
