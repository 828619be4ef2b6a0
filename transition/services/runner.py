"""The transition from Legacy to Launch / Flex: making the plan, the people's part (requests, decisions,
the OpenPhone account, acknowledgement and the two confirmations, manual completion, retries) and running
each dated step.

Steps run from Celery (transition.tasks), on or after their date in the medspa's time zone, in this order:
import the future Acuity appointments, switch the model, revoke Acuity, deactivate TigerConnect and release
the OpenPhone number (the last two only when the coordinator goes). A Launch or Flex medspa that kept its
coordinator may let them go later, a transition of its own: end the coordinator's access and monthly fee,
then TigerConnect and OpenPhone as in the move. A step runs at least once and never does its effect twice: it
is claimed under a row lock on a lease of a few minutes (renewed as a long step goes on), the only vendor
write (TigerConnect's group deletion) is idempotent by itself, the OpenPhone support email is sent once and
recorded on the step (external_ref) so that later runs only poll, and what a step already did is recorded
before it moves on. What a vendor's API does not offer waits for Portrait staff (services.vendors). A
step whose worker stopped (its lease ran out) is run again by the sweep, and after MAX_LOST_RUNS such runs it
waits for Portrait staff instead. Every change of status, and everything a
person does, is written to the transition's timeline (TimelineEntry) with who did it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from medspa import clock
from transition.integrations import IntegrationError, NotConfigured
from transition.models import TransitionStep
from transition.models.records import ConfirmationParty
from transition.models.transitions import StepKind, StepStatus, TransitionStatus
from transition.services.acuity_import import run_acuity_import
from transition.services.base import (
    RUNS_BY_ITSELF,
    STEP_LEASE,
    LeaseLost,
    Outcome,
    confirmations,
    event,
    step_locked,
    step_set,
)
from transition.services.coordinator import run_coordinator_leaves, run_model_change
from transition.services.vendors import run_acuity_revoke, run_openphone, run_tigerconnect

logger = logging.getLogger(__name__)


MAX_ATTEMPTS = 5  # a step failing for a reason that may pass (timeouts, 5xx, 429) is tried this often


MAX_LOST_RUNS = 3  # runs whose worker stopped before a step is left to a person instead of run again


POLL_EVERY = timedelta(minutes=30)  # how often a requested OpenPhone transfer is asked about


def steps_due(now=None) -> list[tuple[int, int]]:
    """(step id, medspa id) of every step to run now, its date come in its medspa's time zone:
    - pending, its retry time passed;
    - waiting for another step, for people's confirmations, or for OpenPhone to move the number (at its poll
      time); not those waiting for a person's hand (not configured, import conflicts): Retry runs them;
    - "in progress" past its lease (its worker stopped): run again, or left to a person after
      MAX_LOST_RUNS.
    One query, on the index of open steps."""
    now = now or timezone.now()
    on_time = Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)
    rows = (
        TransitionStep.objects.filter(transition__status=TransitionStatus.SCHEDULED)
        .filter(
            (Q(status=StepStatus.PENDING) & on_time)
            | (Q(status=StepStatus.WAITING, needs_hand=False) & ~Q(kind=StepKind.ACUITY_IMPORT) & on_time)
            | Q(status=StepStatus.IN_PROGRESS, lease_until__lte=now)
        )
        .select_related("medspa")
        .order_by("transition_id", "position")
    )
    return [(step.pk, step.medspa_id) for step in rows if step.due_date <= clock.today(step.medspa, now=now)]


def _runnable(step: TransitionStep, now) -> bool:
    if step.transition.status != TransitionStatus.SCHEDULED:
        return False
    if step.due_date > clock.today(step.transition.medspa, now=now):
        return False
    if step.status == StepStatus.IN_PROGRESS:
        return step.lease_until is not None and step.lease_until <= now
    if step.status not in (StepStatus.PENDING, StepStatus.WAITING):
        return False
    return not (step.next_run_at and step.next_run_at > now)


def _still_ours(step: TransitionStep, started_at) -> bool:
    """Whether the locked `step` is still this run's: in progress under the claim made at `started_at` (not
    done by a person meanwhile, nor taken over by another run after this one's lease ran out)."""
    return step.status == StepStatus.IN_PROGRESS and step.started_at == started_at


def _lost_run(step: TransitionStep) -> bool:
    """A step found in progress past its lease: its worker stopped (killed, restarted) mid-run. Runs it again
    (True), or after MAX_LOST_RUNS leaves it to Portrait staff (False). Both go on the timeline."""
    step.lost_runs += 1
    if step.lost_runs >= MAX_LOST_RUNS:
        if step.kind in RUNS_BY_ITSELF:  # never done by hand
            then = "check the error reports, then Retry"
        else:
            then = f"check {VENDORS[step.kind]}, then Retry or mark it done"
        step_set(
            step,
            StepStatus.WAITING,
            f"The worker running this step stopped {step.lost_runs} times; {then}.",
            needs_hand=True,
            lost_runs=step.lost_runs,
            next_run_at=None,
        )
        return False
    event(
        step.transition,
        f"{step.get_kind_display()}: the worker running it stopped; running it again "
        f"(lost run {step.lost_runs} of {MAX_LOST_RUNS}).",
        step=step,
    )
    return True


def step_run(*, step_id: int) -> TransitionStep | None:
    """Runs one step if it is due and nobody else is running it (or its worker's lease ran out); records
    what came of it. A step waiting for something that has not happened yet is left as it is (nothing
    written)."""
    now = timezone.now()
    with transaction.atomic():
        step = TransitionStep.objects.select_for_update(skip_locked=True).filter(pk=step_id).first()
        if step is None:
            return None  # another worker holds it
        step = step_locked(step)
        if not _runnable(step, now):
            return step
        if step.status == StepStatus.IN_PROGRESS and not _lost_run(step):
            return step
        blocker = _blocker(step)
        if blocker:
            step_set(step, StepStatus.WAITING, blocker, next_run_at=None)
            return step
        if step.kind == StepKind.OPENPHONE and step.status == StepStatus.WAITING and step.external_ref:
            polling = True  # a read: no claim, no attempt counted
        else:
            polling = False
            step.status, step.started_at, step.attempts = StepStatus.IN_PROGRESS, now, step.attempts + 1
            step.lease_until = now + STEP_LEASE
            step.save(
                update_fields=["status", "started_at", "lease_until", "attempts", "lost_runs", "updated_at"]
            )
            if step.attempts == 1:
                event(step.transition, f"{step.get_kind_display()}: started.", step=step)
    if polling:
        return _poll_transfer(step)
    try:
        outcome = RUNNERS[step.kind](step)
    except LeaseLost:
        logger.warning("Transition step %s: this run's lease ran out and another run has the step", step.pk)
        return step
    except SoftTimeLimitExceeded:
        # The task's soft time limit (CELERY_TASK_SOFT_TIME_LIMIT): what the step did is saved as it went (an
        # import's bookings one by one, a vendor's effect recorded before the next), so the step is due again
        # at once and the next run, in a fresh task, goes on where this one stopped.
        logger.warning("Transition step %s stopped at the task's time limit", step.pk)
        if step.attempts < MAX_ATTEMPTS:
            with transaction.atomic():
                step = step_locked(step)
                if not _still_ours(step, now):
                    return step
                step_set(
                    step,
                    StepStatus.PENDING,
                    f"Attempt {step.attempts} of {MAX_ATTEMPTS} reached the time limit of a background task; "
                    "it goes on where it stopped within a minute.",
                    next_run_at=timezone.now(),
                )
            return step
        logger.error("Transition step %s reached the time limit %s times: it fails", step.pk, MAX_ATTEMPTS)
        outcome = Outcome(
            StepStatus.FAILED,
            f"The step reached the time limit of a background task {MAX_ATTEMPTS} times: Portrait has been "
            "alerted.",
        )
    except NotConfigured as error:
        logger.info("Transition step %s waits for a person: %s", step.pk, error)  # names the missing settings
        outcome = _by_hand(step)
    except IntegrationError as error:
        if error.retryable and step.attempts < MAX_ATTEMPTS:
            wait = timedelta(minutes=2**step.attempts)
            with transaction.atomic():
                step = step_locked(step)
                if not _still_ours(step, now):
                    return step
                step_set(
                    step,
                    StepStatus.PENDING,
                    f"Attempt {step.attempts} of {MAX_ATTEMPTS} failed ({error.detail}); trying again in "
                    f"{int(wait.total_seconds() // 60)} minutes.",
                    next_run_at=timezone.now() + wait,
                )
            return step
        outcome = Outcome(StepStatus.FAILED, error.detail)
    except Exception as error:
        logger.exception("Transition step %s failed", step.pk)
        outcome = Outcome(
            StepStatus.FAILED, f"Unexpected error ({type(error).__name__}): Portrait has been alerted."
        )
    with transaction.atomic():
        step = step_locked(step)
        if not _still_ours(step, now):
            return step  # a person acted meanwhile, or another run took over after this one's lease ran out
        _record(step, outcome)
    return step


def _by_hand(step: TransitionStep) -> Outcome:
    return Outcome(
        StepStatus.WAITING,
        f"{VENDORS[step.kind]} is not connected to the EHR: a Portrait staff member does this step by hand "
        "and marks it done with a note.",
        needs_hand=True,
    )


def _record(step: TransitionStep, outcome: Outcome) -> None:
    fields = {"needs_hand": outcome.needs_hand, "next_run_at": None}
    if outcome.external_ref is not None:
        fields["external_ref"] = outcome.external_ref
    if outcome.status == StepStatus.WAITING and step.kind == StepKind.OPENPHONE and outcome.external_ref:
        fields["next_run_at"] = timezone.now() + POLL_EVERY
    step_set(step, outcome.status, outcome.detail, **fields)


def _poll_transfer(step: TransitionStep) -> TransitionStep:
    """Asks OpenPhone whether the number has left Portrait's workspace since its support was emailed; a
    failed poll changes nothing (it is asked again)."""
    try:
        outcome = run_openphone(step)
    except NotConfigured:
        outcome = _by_hand(step)
    except IntegrationError as error:
        logger.info("OpenPhone transfer of step %s not checked: %s", step.pk, error.detail)
        outcome = None
    with transaction.atomic():
        step = step_locked(step)
        if step.status != StepStatus.WAITING or not step.external_ref:
            return step  # a person acted meanwhile
        if outcome is None:
            step_set(step, step.status, step.detail, next_run_at=timezone.now() + POLL_EVERY)
        else:
            _record(step, outcome)
    return step


def _blocker(step: TransitionStep) -> str:
    """Why the step cannot run yet, when it waits for another step or for people. Acuity is revoked only
    once the medspa is no longer Legacy and its bookings have been imported; TigerConnect and OpenPhone go
    once the model has changed, or the coordinator's access has ended (the first day without a
    coordinator)."""
    transition = step.transition
    status = {row.kind: row for row in transition.steps.all()}
    model_change = status.get(StepKind.MODEL_CHANGE)
    first = step.kind in (StepKind.MODEL_CHANGE, StepKind.ACUITY_IMPORT, StepKind.COORDINATOR_LEAVES)
    if not first and model_change is not None and model_change.status != StepStatus.DONE:
        return "Waits for the model change."
    coordinator = status.get(StepKind.COORDINATOR_LEAVES)
    if not first and coordinator is not None and coordinator.status != StepStatus.DONE:
        return "Waits for the coordinator's access to end."
    if step.kind == StepKind.ACUITY_REVOKE:
        imported = status.get(StepKind.ACUITY_IMPORT)
        fetched = imported is None or imported.status == StepStatus.DONE
        fetched = fetched or (imported.status == StepStatus.WAITING and not imported.needs_hand)
        if not fetched:
            return "Waits for the Acuity import, so that no booking is lost."
    if step.kind == StepKind.OPENPHONE and not step.external_ref:
        if not transition.openphone_target_email:
            return "Waiting for the provider to enter their new OpenPhone account (on the transition page)."
        if transition.openphone_acknowledged_at is None:
            return "Waiting for the provider to acknowledge what does not move with the number."
        confirmed = confirmations(transition)
        missing = [label for party, label in ConfirmationParty.choices if party not in confirmed]
        if missing:
            return "Waiting for the written confirmation of " + " and ".join(missing) + "."
    return ""


VENDORS = {
    StepKind.ACUITY_IMPORT: "Acuity",
    StepKind.MODEL_CHANGE: "The EHR",
    StepKind.COORDINATOR_LEAVES: "The EHR",
    StepKind.ACUITY_REVOKE: "Acuity",
    StepKind.TIGERCONNECT: "TigerConnect",
    StepKind.OPENPHONE: "OpenPhone",
}


RUNNERS = {
    StepKind.ACUITY_IMPORT: run_acuity_import,
    StepKind.MODEL_CHANGE: run_model_change,
    StepKind.COORDINATOR_LEAVES: run_coordinator_leaves,
    StepKind.ACUITY_REVOKE: run_acuity_revoke,
    StepKind.TIGERCONNECT: run_tigerconnect,
    StepKind.OPENPHONE: run_openphone,
}
