"""Making a transition: the medspa admin's request or Portrait's schedule with the same terms, Portrait's
approval (which makes the plan of dated steps), decline, and cancelling one before anything irreversible
happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from medspa import clock
from medspa.models import Medspa, User
from medspa.models.tenancy import BusinessModel
from transition.models import Transition, TransitionStep
from transition.models.records import ImportStatus
from transition.models.transitions import StepKind, StepStatus, TransitionKind, TransitionStatus
from transition.services.base import TransitionRuleBroken, event, transition_locked


@dataclass(frozen=True)
class TransitionTerms:
    target_model: str
    effective_date: date
    keeps_coordinator: bool
    flex_revenue_split_percent: object = None
    note: str = ""
    kind: str = TransitionKind.MOVE


def coordinator_leaves_terms(*, medspa: Medspa, effective_date: date, note: str = "") -> TransitionTerms:
    """The terms of letting the coordinator go from `effective_date` (the first day without them): the
    medspa stays on its model and split."""
    return TransitionTerms(
        target_model=medspa.business_model,
        effective_date=effective_date,
        keeps_coordinator=False,
        flex_revenue_split_percent=medspa.flex_revenue_split_percent,
        note=note,
        kind=TransitionKind.COORDINATOR_LEAVES,
    )


def _check_coordinator_leaves(medspa: Medspa, terms: TransitionTerms) -> None:
    if medspa.business_model == BusinessModel.LEGACY:
        raise TransitionRuleBroken(
            f"{medspa.name} is on Legacy: letting the coordinator go is part of the move to Launch or Flex."
        )
    if not medspa.keeps_coordinator:
        raise TransitionRuleBroken(f"{medspa.name} has no Patient Care Coordinator to let go.")
    if terms.target_model != medspa.business_model or terms.keeps_coordinator:
        raise TransitionRuleBroken(
            f"Letting the coordinator go keeps {medspa.name} on {medspa.get_business_model_display()}, "
            "without the coordinator."
        )
    if terms.effective_date < clock.today(medspa):
        raise TransitionRuleBroken("The first day without the coordinator cannot be in the past.")


def _check_terms(medspa: Medspa, terms: TransitionTerms) -> None:
    if terms.kind == TransitionKind.COORDINATOR_LEAVES:
        _check_coordinator_leaves(medspa, terms)
        return
    if medspa.business_model != BusinessModel.LEGACY:
        raise TransitionRuleBroken(f"{medspa.name} is already on {medspa.get_business_model_display()}.")
    if terms.target_model not in (BusinessModel.LAUNCH, BusinessModel.FLEX):
        raise TransitionRuleBroken("Choose Launch or Flex.")
    if terms.target_model == BusinessModel.FLEX and terms.flex_revenue_split_percent is None:
        raise TransitionRuleBroken("Flex needs its revenue split (Portrait's share, %).")
    if terms.effective_date < clock.today(medspa):
        raise TransitionRuleBroken("The effective date cannot be in the past.")


def _open_transition(medspa: Medspa, terms: TransitionTerms, *, by: User, status: str) -> Transition:
    _check_terms(medspa, terms)
    split = terms.flex_revenue_split_percent if terms.target_model == BusinessModel.FLEX else None
    try:
        with transaction.atomic():
            return Transition.objects.create(
                medspa=medspa,
                kind=terms.kind,
                target_model=terms.target_model,
                flex_revenue_split_percent=split,
                effective_date=terms.effective_date,
                keeps_coordinator=terms.keeps_coordinator,
                status=status,
                requested_by=by,
                note=terms.note[:500],
            )
    except IntegrityError as error:
        raise TransitionRuleBroken(f"{medspa.name} already has a transition under way.") from error


def _summary(transition: Transition) -> str:
    if transition.lets_coordinator_go_only:
        return transition.headline
    coordinator = "keeps the coordinator" if transition.keeps_coordinator else "lets the coordinator go"
    return f"{transition.target_display} on {transition.effective_date:%b %-d, %Y}; {coordinator}"


@transaction.atomic
def transition_request(*, medspa: Medspa, by: User, terms: TransitionTerms) -> Transition:
    """The medspa admin asks Portrait for a transition; Portrait staff approve (which makes the plan) or
    decline it."""
    transition = _open_transition(medspa, terms, by=by, status=TransitionStatus.REQUESTED)
    event(transition, f"Requested by the medspa: {_summary(transition)}.", actor=by)
    return transition


@transaction.atomic
def transition_schedule(*, medspa: Medspa, by: User, terms: TransitionTerms) -> Transition:
    """Portrait staff start a transition: it is scheduled at once, with its plan."""
    transition = _open_transition(medspa, terms, by=by, status=TransitionStatus.SCHEDULED)
    transition.decided_by, transition.decided_at = by, timezone.now()
    transition.save(update_fields=["decided_by", "decided_at"])
    event(transition, f"Scheduled by Portrait: {_summary(transition)}.", actor=by)
    plan_make(transition, by=by)
    return transition


@transaction.atomic
def transition_approve(*, transition: Transition, by: User, effective_date: date | None = None) -> Transition:
    transition = transition_locked(transition)
    if transition.status != TransitionStatus.REQUESTED:
        raise TransitionRuleBroken("Only a requested transition can be approved.")
    if effective_date is not None:
        transition.effective_date = effective_date
    _check_terms(
        transition.medspa,
        TransitionTerms(
            transition.target_model,
            transition.effective_date,
            transition.keeps_coordinator,
            transition.flex_revenue_split_percent,
            kind=transition.kind,
        ),
    )
    transition.status = TransitionStatus.SCHEDULED
    transition.decided_by, transition.decided_at = by, timezone.now()
    transition.save(update_fields=["status", "effective_date", "decided_by", "decided_at"])
    event(transition, f"Approved by Portrait: {_summary(transition)}.", actor=by)
    plan_make(transition, by=by)
    return transition


@transaction.atomic
def transition_decline(*, transition: Transition, by: User, note: str) -> Transition:
    transition = transition_locked(transition)
    if transition.status != TransitionStatus.REQUESTED:
        raise TransitionRuleBroken("Only a requested transition can be declined.")
    if not note.strip():
        raise TransitionRuleBroken("Say why, for the medspa.")
    transition.status = TransitionStatus.DECLINED
    transition.decided_by, transition.decided_at, transition.decision_note = by, timezone.now(), note.strip()
    transition.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    event(transition, f"Declined by Portrait: {note.strip()}", actor=by)
    return transition


@transaction.atomic
def transition_cancel(*, transition: Transition, by: User, note: str) -> Transition:
    """Calls off a transition before anything irreversible happened (the model has not changed and no
    vendor step is done)."""
    transition = transition_locked(transition)
    if not transition.is_open:
        raise TransitionRuleBroken("This transition is no longer open.")
    if not note.strip():
        raise TransitionRuleBroken("Say why it is cancelled.")
    started = transition.steps.exclude(kind=StepKind.ACUITY_IMPORT).filter(
        Q(started_at__isnull=False) | ~Q(external_ref="") | Q(status=StepStatus.DONE)
    )
    if started.exists():
        raise TransitionRuleBroken(
            "Steps have already been carried out: this transition can no longer be called off."
        )
    if transition.acuity_bookings.filter(status=ImportStatus.IMPORTED).exists():
        raise TransitionRuleBroken(
            "Acuity appointments are already in the EHR calendar: the transition can no longer be called off."
        )
    transition.status = TransitionStatus.CANCELLED
    transition.decision_note = note.strip()
    transition.save(update_fields=["status", "decision_note"])
    event(transition, f"Cancelled: {note.strip()}", actor=by)
    return transition


def plan_make(transition: Transition, *, by: User | None = None) -> list[TransitionStep]:
    """The dated steps. All fall on the effective date (the first day on the new model, which is also the
    first day without a coordinator for a medspa that lets it go); within the day they run in this order."""
    kinds = [StepKind.ACUITY_IMPORT, StepKind.MODEL_CHANGE, StepKind.ACUITY_REVOKE]
    if transition.lets_coordinator_go_only:
        kinds = [StepKind.COORDINATOR_LEAVES, StepKind.TIGERCONNECT, StepKind.OPENPHONE]
    elif not transition.keeps_coordinator:
        kinds += [StepKind.TIGERCONNECT, StepKind.OPENPHONE]
    steps = [
        TransitionStep(
            medspa_id=transition.medspa_id,
            transition=transition,
            kind=kind,
            position=index,
            due_date=transition.effective_date,
        )
        for index, kind in enumerate(kinds, start=1)
    ]
    TransitionStep.objects.bulk_create(steps)
    event(transition, "Plan made: " + "; ".join(StepKind(kind).label for kind in kinds) + ".", actor=by)
    return steps
