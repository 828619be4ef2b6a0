"""What every part of the transition's services shares: the rule a request breaks, the timeline, the Legacy
tools, the row locks, the confirmations that count, and moving a step to a status (which completes the
transition and queues the next steps when the last one it waited for is done). A running step holds a lease
of STEP_LEASE, renewed between vendor calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from medspa import clock
from medspa.celery import task_queue
from medspa.errors import DomainError
from medspa.models import Medspa, User
from transition.models import LegacyTools, ReleaseConfirmation, TimelineEntry, Transition, TransitionStep
from transition.models.records import ConfirmationParty
from transition.models.transitions import StepKind, StepStatus, TransitionStatus

# The steps the EHR does on itself (the model, the coordinator's access and fee): never marked done by hand.
RUNS_BY_ITSELF = (StepKind.MODEL_CHANGE, StepKind.COORDINATOR_LEAVES)


# A worker holds a step it runs for this long, renewing it between vendor calls (each bounded by the
# integration timeout and attempts, a minute or two at worst); a lease that ran out means the worker is gone.
STEP_LEASE = timedelta(minutes=5)


class TransitionRuleBroken(DomainError):
    """A request that the transition's rules refuse; the message says why, for the person who asked."""


def event(transition: Transition, message: str, *, actor: User | None = None, step=None) -> TimelineEntry:
    return TimelineEntry.objects.create(
        medspa_id=transition.medspa_id, transition=transition, step=step, actor=actor, message=message[:500]
    )


def legacy_tools(medspa: Medspa) -> LegacyTools:
    tools, _ = LegacyTools.objects.get_or_create(medspa=medspa)
    return tools


TOOL_FIELDS = [
    "openphone_number_id",
    "openphone_number",
    "tigerconnect_group_id",
    "tigerconnect_user_ids",
    "acuity_calendar_ids",
]


@transaction.atomic
def legacy_tools_set(*, transition: Transition, by: User, data: dict) -> LegacyTools:
    """Portrait records the medspa's Legacy tools (the vendors' ids); what changed goes on the timeline."""
    tools = legacy_tools(transition.medspa)
    changed = [name for name in TOOL_FIELDS if getattr(tools, name) != data[name]]
    for name in TOOL_FIELDS:
        setattr(tools, name, data[name])
    tools.save()
    if changed:
        labels = ", ".join(str(LegacyTools._meta.get_field(name).verbose_name) for name in changed)
        event(transition, f"Legacy tools updated by Portrait: {labels}.", actor=by)
    return tools


def transition_locked(transition: Transition) -> Transition:
    return Transition.objects.select_for_update().get(pk=transition.pk)


def confirmations(transition: Transition) -> dict[str, ReleaseConfirmation]:
    """The confirmations that count: those given for the account entered now, by party."""
    if not transition.openphone_target_email:
        return {}
    rows = transition.confirmations.filter(target_email=transition.openphone_target_email)
    return {row.party: row for row in rows}


def both_confirmed(transition: Transition) -> bool:
    return {ConfirmationParty.PORTRAIT, ConfirmationParty.PROVIDER} <= set(confirmations(transition))


def step_set(
    step: TransitionStep, status: str, detail: str = "", *, actor: User | None = None, **fields
) -> None:
    """Moves a step to `status`, on the timeline when the status or the reason changes. A step re-checked
    with nothing new (still waiting for the same thing) is not written at all."""
    detail = detail[:500]
    changed = step.status != status or step.detail != detail
    if not changed and all(getattr(step, name) == value for name, value in fields.items()):
        return
    step.status, step.detail = status, detail
    for name, value in fields.items():
        setattr(step, name, value)
    if status != StepStatus.IN_PROGRESS:
        step.lease_until = None
    if status in (StepStatus.DONE, StepStatus.FAILED):
        step.finished_at = timezone.now()
    step.save()
    if changed:
        label = StepStatus(status).label.lower()
        event(
            step.transition,
            f"{step.get_kind_display()}: {label}" + (f". {detail}" if detail else "."),
            actor=actor,
            step=step,
        )
    if status == StepStatus.DONE:
        _complete_if_done(step.transition)
        _queue_next(step.transition)


def _complete_if_done(transition: Transition) -> None:
    """Completes the transition when its last step is done. The row lock orders two workers finishing the
    last two steps at once: the second to get it sees the first's step done."""
    transition = Transition.objects.select_for_update().get(pk=transition.pk)
    if (
        transition.status == TransitionStatus.SCHEDULED
        and not transition.steps.exclude(status=StepStatus.DONE).exists()
    ):
        transition.status, transition.completed_at = TransitionStatus.COMPLETED, timezone.now()
        transition.save(update_fields=["status", "completed_at"])
        event(transition, "Transition complete: every step is done.")


def step_locked(step: TransitionStep) -> TransitionStep:
    return TransitionStep.objects.select_for_update().select_related("transition__medspa").get(pk=step.pk)


def step_queue(transition: Transition, kind: str) -> None:
    """Runs the step after commit if its date has come (otherwise the sweep runs it on its date)."""
    step = transition.steps.filter(kind=kind).first()
    if step is None or step.due_date > clock.today(transition.medspa):
        return
    step_id, medspa_id = step.pk, transition.medspa_id
    transaction.on_commit(partial(task_queue, "transition.tasks.step_run", step_id, medspa_id))


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str = ""
    needs_hand: bool = False
    external_ref: str | None = None


class LeaseLost(Exception):
    """The run's lease ran out and another run took the step over: this one stops without recording."""


def lease_keep(step: TransitionStep) -> None:
    """Renews the lease of the run holding `step` (between vendor calls of a long step), so that a slow but
    live run is not taken over; LeaseLost when another run has it now (this one's lease had run out)."""
    lease_until = timezone.now() + STEP_LEASE
    kept = TransitionStep.objects.filter(
        pk=step.pk, status=StepStatus.IN_PROGRESS, started_at=step.started_at
    ).update(lease_until=lease_until)
    if not kept:
        raise LeaseLost
    step.lease_until = lease_until


def _queue_next(transition: Transition) -> None:
    """After a step is done, runs at once the steps of the day that may have waited for it."""
    today = clock.today(transition.medspa)
    ids = list(
        transition.steps.filter(
            status__in=[StepStatus.PENDING, StepStatus.WAITING], needs_hand=False, due_date__lte=today
        ).values_list("pk", flat=True)
    )
    medspa_id = transition.medspa_id
    for step_id in ids:
        transaction.on_commit(partial(task_queue, "transition.tasks.step_run", step_id, medspa_id))
