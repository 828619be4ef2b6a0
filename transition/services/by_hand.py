"""People acting on steps: running one again, Portrait staff marking one done by hand with a note, and
resolving an Acuity appointment the import could not place."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from medspa import clock
from medspa.models import User
from transition.models import AcuityBooking, TransitionStep
from transition.models.records import ImportStatus
from transition.models.transitions import StepKind, StepStatus, TransitionStatus
from transition.services.acuity_import import import_summary
from transition.services.base import (
    RUNS_BY_ITSELF,
    TransitionRuleBroken,
    both_confirmed,
    event,
    step_locked,
    step_queue,
    step_set,
)


@transaction.atomic
def step_retry(*, step: TransitionStep, by: User) -> TransitionStep:
    """Runs a step again, now if its date has come: a failed step; a step that waited for a person's hand
    (say, once the integration is configured); the Acuity import, to place what it could not before (the
    patient has been added meanwhile)."""
    step = step_locked(step)
    again = step.status == StepStatus.FAILED or (
        step.status == StepStatus.WAITING and (step.needs_hand or step.kind == StepKind.ACUITY_IMPORT)
    )
    if not again:
        raise TransitionRuleBroken(f"A {step.get_status_display().lower()} step cannot be run again now.")
    if step.transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("This transition is no longer under way.")
    step_set(
        step,
        StepStatus.PENDING,
        "Run again.",
        actor=by,
        attempts=0,
        lost_runs=0,
        next_run_at=None,
        needs_hand=False,
    )
    step_queue(step.transition, step.kind)
    return step


@transaction.atomic
def step_mark_done(*, step: TransitionStep, by: User, note: str) -> TransitionStep:
    """A staff member did the step by hand (the integration is not configured, or they finished it another
    way) and says how. The model change is never done by hand; the number never moves without both
    confirmations."""
    step = step_locked(step)
    transition = step.transition
    if not by.is_staff:
        raise TransitionRuleBroken("Only Portrait staff mark a step done by hand.")
    if transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("This transition is not under way.")
    if step.kind in RUNS_BY_ITSELF:
        raise TransitionRuleBroken(f"“{step.get_kind_display()}” runs by itself on the effective date.")
    if step.status in (StepStatus.DONE, StepStatus.IN_PROGRESS):
        raise TransitionRuleBroken(f"The step is {step.get_status_display().lower()}.")
    if step.due_date > clock.today(transition.medspa):
        raise TransitionRuleBroken(f"The step is due on {step.due_date:%b %-d, %Y}: not before.")
    if not note.strip():
        raise TransitionRuleBroken("Say what was done, in a note.")
    if step.kind == StepKind.OPENPHONE and not both_confirmed(transition):
        raise TransitionRuleBroken(
            "The number may move only with both confirmations, Portrait's and the provider's."
        )
    step_set(
        step,
        StepStatus.DONE,
        f"Done by hand: {note.strip()}",
        actor=by,
        done_by=by,
        hand_note=note.strip()[:500],
    )
    return step


@transaction.atomic
def booking_resolve(*, booking: AcuityBooking, by: User, note: str) -> AcuityBooking:
    """A person dealt with an Acuity appointment the import could not place (booked it by hand, or called
    the patient) and says how."""
    booking = AcuityBooking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != ImportStatus.CONFLICT:
        raise TransitionRuleBroken("Only an appointment that needs a person can be resolved.")
    if not note.strip():
        raise TransitionRuleBroken("Say how it was resolved.")
    booking.status, booking.resolved_by, booking.resolved_at = ImportStatus.RESOLVED, by, timezone.now()
    booking.resolved_note = note.strip()[:500]
    booking.save()
    event(
        booking.transition,
        f"Acuity appointment #{booking.acuity_id} ({booking.patient_name}, "
        f"{clock.local(booking.start, booking.transition.medspa):%b %-d, %Y %-I:%M %p}) resolved "
        f"by hand: {booking.resolved_note}",
        actor=by,
    )
    step = booking.transition.steps.filter(
        kind=StepKind.ACUITY_IMPORT, status=StepStatus.WAITING, needs_hand=False
    ).first()
    if (
        step is not None
        and not booking.transition.acuity_bookings.filter(status=ImportStatus.CONFLICT).exists()
    ):
        step = step_locked(step)
        step_set(step, StepStatus.DONE, import_summary(booking.transition), actor=by)
    return booking
