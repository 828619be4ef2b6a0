"""A worker runs a transition step on a lease of a few minutes: a step whose worker stopped mid-run is run
again once its lease ran out (not half an hour later), a live run (a long import renewing its lease) is never
taken over, and after MAX_LOST_RUNS lost runs the step waits for Portrait staff, on the timeline and in their
queue. The real-process drill (a Celery worker killed with SIGKILL) is tests/test_transition_drill.py."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from medspa.tenancy import medspa_scope
from tests import factories
from tests.stub_server import TC
from transition.integrations.acuity import AcuityClient
from transition.models import TransitionStep
from transition.models.transitions import StepKind, StepStatus
from transition.services import acuity_import as transition_acuity_import
from transition.services import base as transition_base
from transition.services import by_hand as transition_by_hand
from transition.services import runner as transition_runner
from transition.tests.test_transition import acuity_row, at, effective, schedule, steps, sweep


class WorkerKilled(BaseException):
    """Stands for a SIGKILL mid-step: nothing of step_run after the runner's call happens."""


def _claimed_then_killed(step, *, at_time):
    """The step as a worker leaves it when it is killed right after claiming it at `at_time`."""
    TransitionStep.objects.filter(pk=step.pk).update(
        status=StepStatus.IN_PROGRESS, started_at=at_time, lease_until=at_time + transition_base.STEP_LEASE
    )


def assert_lost_once_too_often(step):
    """`step`, lost MAX_LOST_RUNS - 1 times already, is claimed by a worker killed a lease ago: run, it is not
    run again but waits for a person, who is asked to read the error reports and Retry."""
    TransitionStep.objects.filter(pk=step.pk).update(lost_runs=transition_runner.MAX_LOST_RUNS - 1)
    _claimed_then_killed(step, at_time=timezone.now() - transition_base.STEP_LEASE - timedelta(seconds=1))
    transition_runner.step_run(step_id=step.pk)
    step.refresh_from_db()
    assert (step.status, step.needs_hand) == (StepStatus.WAITING, True)
    assert step.detail == "The worker running this step stopped 3 times; check the error reports, then Retry."


@pytest.fixture
def let_go(cast, legacy):
    """A transition that lets the coordinator go, effective today, its model change done (so TigerConnect
    may run). Its TigerConnect step is the API's alone (the group; no users, whose deactivation is a staff
    step)."""
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        tools = transition_base.legacy_tools(medspa)
        tools.tigerconnect_user_ids = []
        tools.save()
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        transition_runner.step_run(step_id=steps(transition)[StepKind.MODEL_CHANGE].pk)
        assert steps(transition)[StepKind.MODEL_CHANGE].status == StepStatus.DONE
        return transition


def test_the_lease_is_a_few_minutes_and_the_sweep_runs_every_minute():
    assert timedelta(minutes=1) < transition_base.STEP_LEASE <= timedelta(minutes=5)
    assert settings.CELERY_BEAT_SCHEDULE["transition-steps-due"] == {
        "task": "transition.tasks.steps_due",
        "schedule": 60.0,
    }


def test_a_step_whose_lease_ran_out_is_run_again_within_minutes(cast, let_go, configured):
    with medspa_scope(cast.medspa_a):
        transition, stub = let_go, configured
        step = steps(transition)[StepKind.TIGERCONNECT]
        killed_at = timezone.now()
        _claimed_then_killed(step, at_time=killed_at)

        with time_machine.travel(killed_at + transition_base.STEP_LEASE - timedelta(seconds=5), tick=False):
            assert step.pk not in dict(transition_runner.steps_due())  # the worker may still be at it
        with time_machine.travel(killed_at + transition_base.STEP_LEASE + timedelta(seconds=1), tick=True):
            assert step.pk in dict(transition_runner.steps_due())
            sweep()

        step.refresh_from_db()
        assert (step.status, step.lost_runs, step.lease_until) == (StepStatus.DONE, 1, None)
        assert transition.timeline.filter(
            step=step,
            message="Deactivate TigerConnect (support channel and users): the worker running it stopped; "
            f"running it again (lost run 1 of {transition_runner.MAX_LOST_RUNS}).",
        ).exists()
        assert sorted(e for e in stub.state.effects if e.startswith("tigerconnect")) == [
            "tigerconnect group G1",
        ]


def test_a_live_lease_is_not_taken_over_however_long_the_step_has_run(cast, let_go, configured):
    with medspa_scope(cast.medspa_a):
        transition, stub = let_go, configured
        step = steps(transition)[StepKind.TIGERCONNECT]
        now = timezone.now()
        TransitionStep.objects.filter(pk=step.pk).update(  # an hour in, renewed a minute ago
            status=StepStatus.IN_PROGRESS,
            started_at=now - timedelta(hours=1),
            lease_until=now + timedelta(minutes=4),
        )
        assert step.pk not in dict(transition_runner.steps_due())
        transition_runner.step_run(step_id=step.pk)
        step.refresh_from_db()
        assert (step.status, step.lost_runs, step.attempts) == (StepStatus.IN_PROGRESS, 0, 0)
        assert stub.requests_to("DELETE", f"{TC}/v2/group/G1/") == []


def test_the_import_renews_its_lease_window_by_window_and_is_never_taken_over(
    cast, legacy, configured, monkeypatch
):
    with medspa_scope(cast.medspa_a):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa, 0)
        factories.PatientFactory(medspa=medspa, first_name="Jo", last_name="Patient", email="jo@example.com")
        stub.state.appointments.append(acuity_row(7001, at(medspa, day + timedelta(days=40), 10)))
        transition = schedule(cast, medspa, day, keeps=True)
        step = steps(transition)[StepKind.ACUITY_IMPORT]
        listing = AcuityClient.list_appointments
        seen = []

        with time_machine.travel(timezone.now(), tick=False) as clock:

            def slow_window(client, *args, **kwargs):
                """Each Acuity window takes two minutes: the whole import takes far longer than the lease."""
                clock.shift(timedelta(minutes=2))
                held = TransitionStep.objects.get(pk=step.pk)
                seen.append(held.lease_until - timezone.now())
                assert held.status == StepStatus.IN_PROGRESS
                assert step.pk not in dict(
                    transition_runner.steps_due()
                )  # a sweep meanwhile leaves it to this run
                return listing(client, *args, **kwargs)

            monkeypatch.setattr(AcuityClient, "list_appointments", slow_window)
            transition_runner.step_run(step_id=step.pk)

        step.refresh_from_db()
        assert (
            len(seen)
            == transition_acuity_import.IMPORT_DAYS // transition_acuity_import.IMPORT_WINDOW_DAYS + 1
        )
        assert (
            len(seen) * timedelta(minutes=2) > 6 * transition_base.STEP_LEASE
        )  # far past a lease that was not renewed
        assert all(left > timedelta(minutes=2) for left in seen)  # renewed before each window
        assert (step.status, step.attempts, step.lost_runs, step.lease_until) == (StepStatus.DONE, 1, 0, None)
        assert step.detail == "1 future Acuity appointment imported into the EHR calendar."


def test_a_run_whose_step_was_taken_over_stops_without_recording(cast, legacy, configured, monkeypatch):
    with medspa_scope(cast.medspa_a):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=True)
        step = steps(transition)[StepKind.ACUITY_IMPORT]
        listing, other_run = AcuityClient.list_appointments, timezone.now() + timedelta(minutes=6)

        def taken_over(client, *args, **kwargs):
            # This run stalled past its lease; the sweep ran the step again in another worker meanwhile.
            TransitionStep.objects.filter(pk=step.pk).update(
                started_at=other_run, lease_until=other_run + transition_base.STEP_LEASE
            )
            return listing(client, *args, **kwargs)

        monkeypatch.setattr(AcuityClient, "list_appointments", taken_over)
        transition_runner.step_run(step_id=step.pk)
        step.refresh_from_db()
        assert (step.status, step.started_at, step.detail) == (StepStatus.IN_PROGRESS, other_run, "")
        assert not transition.timeline.filter(step=step, message__contains="imported").exists()


def test_after_three_lost_runs_the_step_waits_for_staff_and_a_retry_does_nothing_twice(
    cast, let_go, configured, monkeypatch, client_as
):
    with medspa_scope(cast.medspa_a):
        transition, stub = let_go, configured
        step = steps(transition)[StepKind.TIGERCONNECT]
        real = transition_runner.RUNNERS[StepKind.TIGERCONNECT]

        def killed_after_the_group(step):
            """Deletes the group at TigerConnect (as the real step does), then the worker dies."""
            from transition.integrations.tigerconnect import TigerConnectClient

            with TigerConnectClient() as client:
                client.delete_group("G1")
            raise WorkerKilled

        monkeypatch.setitem(transition_runner.RUNNERS, StepKind.TIGERCONNECT, killed_after_the_group)
        clock = timezone.now()
        with pytest.raises(WorkerKilled), time_machine.travel(clock, tick=True):
            transition_runner.step_run(step_id=step.pk)
        for lost in range(1, transition_runner.MAX_LOST_RUNS):
            clock += transition_base.STEP_LEASE + timedelta(
                minutes=1
            )  # the next sweep after the lease ran out
            with time_machine.travel(clock, tick=True):
                assert step.pk in dict(transition_runner.steps_due())
                with pytest.raises(WorkerKilled):
                    transition_runner.step_run(step_id=step.pk)
            step.refresh_from_db()
            assert (step.status, step.lost_runs) == (StepStatus.IN_PROGRESS, lost)
        clock += transition_base.STEP_LEASE + timedelta(minutes=1)
        with time_machine.travel(clock, tick=True):
            transition_runner.step_run(step_id=step.pk)  # the third lost run: not run again

        step.refresh_from_db()
        detail = (
            "The worker running this step stopped 3 times; check TigerConnect, then Retry or mark it done."
        )
        assert (step.status, step.needs_hand, step.lost_runs, step.lease_until) == (
            StepStatus.WAITING,
            True,
            3,
            None,
        )
        assert step.detail == detail
        assert step.attempts == transition_runner.MAX_LOST_RUNS  # the first run and the two runs again
        assert transition.timeline.filter(step=step, message__endswith=detail).exists()
        assert transition.timeline.filter(step=step, message__contains="running it again").count() == 2
        with time_machine.travel(clock + timedelta(hours=2), tick=True):
            assert step.pk not in dict(transition_runner.steps_due())  # left to a person

        page = client_as("staff").get(reverse("transition_staff:list"))
        assert page.status_code == 200
        queue = page.content.decode().split('id="needs-a-person"')[1].split("</section>")[0]
        assert detail in queue and "worker stopped 3 times" in queue

        monkeypatch.setitem(transition_runner.RUNNERS, StepKind.TIGERCONNECT, real)
        transition_by_hand.step_retry(step=step, by=cast.staff)
        transition_runner.step_run(step_id=step.pk)  # what the Retry queues
        step.refresh_from_db()
        assert (step.status, step.lost_runs) == (StepStatus.DONE, 0)
        assert stub.state.effects == ["tigerconnect group G1"]  # asked for four times, done once
        assert len(stub.requests_to("DELETE", f"{TC}/v2/group/G1/")) == 4


def test_the_model_change_lost_three_times_is_retried_not_done_by_hand(cast, legacy, configured):
    with medspa_scope(cast.medspa_a):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=True)
        step = steps(transition)[StepKind.MODEL_CHANGE]
        assert_lost_once_too_often(step)


@pytest.mark.scopes_disabled(reason="the sweep reads the open steps of every medspa")
def test_the_sweep_is_one_query_however_many_steps_are_open(
    cast, legacy, configured, django_assert_num_queries
):
    medspa = legacy["medspa"]
    transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
    for step in transition.steps.all():
        _claimed_then_killed(step, at_time=timezone.now() - timedelta(hours=1))
    with django_assert_num_queries(1):  # the open steps of scheduled transitions, with their medspa
        due = transition_runner.steps_due()
    assert len(due) == 5
