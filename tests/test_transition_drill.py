"""Drill: a Celery worker killed with SIGKILL in the middle of a transition step. A real worker process takes
the day's steps from a real Redis (a redis-server of the test's own on a loopback port); TigerConnect, played
by the loopback stub, deletes the medspa's group (its documented DELETE /v2/group/{token}/) and then holds
its answer, and the worker is killed while it waits. The step stays "in progress" on its lease; once the
lease has run out (minutes, not half an hour) the sweep, taken by a fresh worker, runs it again: the group,
gone already, answers 404 (counted as deleted), the step ends done exactly once, TigerConnect deleted the
group once, and nothing stays in progress."""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from tests.stub_server import TC
from tests.test_delivery_drill import _stop, _wait_for
from tests.test_delivery_drill import _worker as drill_worker
from tests.test_faults import broker_at
from transition import tasks
from transition.models import TransitionStep
from transition.models.transitions import StepKind, StepStatus
from transition.services import base as transition_base
from transition.services import runner as transition_runner
from transition.tests.test_transition import effective, schedule, steps

pytestmark = pytest.mark.slow  # starts a Celery worker and a redis-server and kills the worker

VENDOR_SETTINGS = [
    "OPENPHONE_API_URL", "OPENPHONE_API_KEY", "TIGERCONNECT_API_URL", "TIGERCONNECT_API_KEY",
    "TIGERCONNECT_API_SECRET", "ACUITY_API_URL", "ACUITY_USER_ID", "ACUITY_API_KEY",
]  # fmt: skip
HELD = 60  # seconds TigerConnect holds its answer: the worker is killed long before


def _worker(broker: dict, tmp_path: Path, output: Path) -> subprocess.Popen:
    own = {name: getattr(settings, name) for name in VENDOR_SETTINGS}
    own |= {"INTEGRATION_TIMEOUT_SECONDS": HELD * 2, "INTEGRATION_MAX_ATTEMPTS": 1}  # it waits, until killed
    (tmp_path / "mail").mkdir(exist_ok=True)
    return drill_worker(broker, tmp_path / "mail", output, own)


@pytest.mark.scopes_disabled(reason="checks the step sweep over every medspa")
def test_a_worker_killed_mid_step_leaves_it_on_its_lease_and_the_sweep_finishes_it_once(
    transactional_db, cast, legacy, configured, redis_process, tmp_path
):
    medspa, stub = legacy["medspa"], configured
    transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
    tools = transition_base.legacy_tools(medspa)
    tools.tigerconnect_user_ids = []  # the group only: deactivating users is a staff step (no API)
    tools.save()
    step = steps(transition)[StepKind.TIGERCONNECT]
    group = f"{TC}/v2/group/G1/"
    stub.script("DELETE", group, hang=HELD, after_effect=True)  # deleted, and the answer held
    broker = {"url": redis_process.url(0), "options": dict(settings.REDIS_BROKER_OPTIONS)}
    output = tmp_path / "workers.log"

    with broker_at(broker["url"], broker["options"]):
        first = _worker(broker, tmp_path, output)
        try:
            tasks.steps_due.delay()  # as beat does every minute
            _wait_for(lambda: len(stub.requests_to("DELETE", group)) == 1, "TigerConnect asked", output)
            first.kill()  # SIGKILL, while TigerConnect holds its answer
            first.wait(timeout=30)
        finally:
            _stop(first)

        step.refresh_from_db()
        assert step.status == StepStatus.IN_PROGRESS and step.attempts == 1
        assert (
            timezone.now() < step.lease_until <= timezone.now() + transition_base.STEP_LEASE
        )  # minutes, renewed
        assert step.pk not in dict(
            transition_runner.steps_due()
        )  # inside its lease the worker may still be at it
        assert stub.state.tc_groups == {"G1": "deleted"}

        # The lease runs out: the clock moved past it (the worker process keeps the real one).
        TransitionStep.objects.filter(pk=step.pk).update(
            started_at=F("started_at") - transition_base.STEP_LEASE,
            lease_until=F("lease_until") - transition_base.STEP_LEASE,
        )
        second = _worker(broker, tmp_path, output)
        try:
            tasks.steps_due.delay()
            _wait_for(
                lambda: TransitionStep.objects.get(pk=step.pk).status == StepStatus.DONE, "step done", output
            )
            _wait_for(
                lambda: not transition.steps.filter(status=StepStatus.IN_PROGRESS).exists(),
                "nothing in progress",
                output,
            )
        finally:
            _stop(second)

    step.refresh_from_db()
    assert (step.status, step.attempts, step.lost_runs, step.lease_until) == (StepStatus.DONE, 2, 1, None)
    kind = step.get_kind_display()
    assert transition.timeline.filter(step=step, message__startswith=f"{kind}: done.").count() == 1
    assert (
        transition.timeline.filter(
            step=step, message__contains="the worker running it stopped; running it again"
        ).count()
        == 1
    )
    # Asked twice (the killed run, the run again), done once; Acuity's API is only read.
    assert len(stub.requests_to("DELETE", group)) == 2
    assert stub.state.effects == ["tigerconnect group G1"]
    assert {s.kind: s.status for s in transition.steps.all()} == {
        StepKind.ACUITY_IMPORT: StepStatus.DONE,
        StepKind.MODEL_CHANGE: StepStatus.DONE,
        StepKind.ACUITY_REVOKE: StepStatus.WAITING,  # a staff member's checklist (Acuity has no API for it)
        StepKind.TIGERCONNECT: StepStatus.DONE,
        StepKind.OPENPHONE: StepStatus.WAITING,  # for the provider's account and the two confirmations
    }
