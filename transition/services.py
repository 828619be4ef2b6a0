"""The transition from Legacy to Launch / Flex: making the plan, the people's part (requests, decisions,
the OpenPhone account, acknowledgement and the two confirmations, manual completion, retries) and running
each dated step.

Steps run from Celery (transition.tasks), on or after their date in the medspa's time zone, in this order:
import the future Acuity appointments, switch the model, revoke Acuity, deactivate TigerConnect and release
the OpenPhone number (the last two only when the coordinator goes). A Launch or Flex medspa that kept its
coordinator may let them go later, a transition of its own: end the coordinator's access and monthly fee,
then TigerConnect and OpenPhone as in the move. A step runs at least once and never does its effect twice: it
is claimed under a row lock on a lease of a few minutes (renewed as a long step goes on), every vendor write
carries an Idempotency-Key derived from the step, and what it already did is recorded before it moves on. A
step whose worker stopped (its lease ran out) is run again by the sweep, and after MAX_LOST_RUNS such runs it
waits for Portrait staff instead. Every change of status, and everything a
person does, is written to the transition's timeline (TimelineEntry) with who did it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing import services as billing
from medspa import clock
from medspa.celery import task_queue
from medspa.errors import DomainError
from medspa.models import Invitation, Medspa, Membership, Patient, User
from medspa.models.patients import PatientStatus
from medspa.models.tenancy import BusinessModel
from medspa.patient_match import email_key, name_key, phone_key
from medspa.services import accounts as medspa_services
from scheduling import booking as scheduling_booking
from scheduling.models import AppointmentType
from transition.integrations import IntegrationError, NotConfigured
from transition.integrations.acuity import AcuityAppointment, AcuityCalendar, AcuityClient
from transition.integrations.openphone import Confirmation, OpenPhoneClient
from transition.integrations.tigerconnect import TigerConnectClient
from transition.models import (
    CONFIRMATION_EMAILS,
    OPENPHONE_ACKNOWLEDGEMENT,
    AcuityBooking,
    ConfirmationEmail,
    ConfirmationParty,
    ImportStatus,
    LegacyTools,
    ReleaseConfirmation,
    StepKind,
    StepStatus,
    TimelineEntry,
    Transition,
    TransitionKind,
    TransitionStatus,
    TransitionStep,
)

logger = logging.getLogger(__name__)

# The steps the EHR does on itself (the model, the coordinator's access and fee): never marked done by hand.
RUNS_BY_ITSELF = (StepKind.MODEL_CHANGE, StepKind.COORDINATOR_LEAVES)
MAX_ATTEMPTS = 5  # a step failing for a reason that may pass (timeouts, 5xx, 429) is tried this often
# A worker holds a step it runs for this long, renewing it between vendor calls (each bounded by the
# integration timeout and attempts, a minute or two at worst); a lease that ran out means the worker is gone.
STEP_LEASE = timedelta(minutes=5)
MAX_LOST_RUNS = 3  # runs whose worker stopped before a step is left to a person instead of run again
IMPORT_DAYS = 730  # how far ahead the Acuity import looks (two years)
IMPORT_WINDOW_DAYS = 31  # one Acuity request per window, well under its page size
IMPORT_LEASE_EVERY = 100  # appointments placed between two renewals of the import's lease
CONFIRM_SALT = "transition.openphone.provider-confirmation"
CONFIRM_MAX_AGE = 14 * 24 * 3600
PORTRAIT_CONFIRMATION = (
    "Portrait confirms that the OpenPhone number may be transferred from Portrait's account to the "
    "provider's own OpenPhone account ({email})."
)
PROVIDER_CONFIRMATION = (
    "I confirm that the OpenPhone number may be transferred from Portrait's account to my own OpenPhone "
    "account ({email}). " + OPENPHONE_ACKNOWLEDGEMENT
)


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


# --- Making a transition --------------------------------------------------------------------------------


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


def _locked(transition: Transition) -> Transition:
    return Transition.objects.select_for_update().get(pk=transition.pk)


@transaction.atomic
def transition_approve(*, transition: Transition, by: User, effective_date: date | None = None) -> Transition:
    transition = _locked(transition)
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
    transition = _locked(transition)
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
    transition = _locked(transition)
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


# --- The OpenPhone release: the provider's account, acknowledgement, two confirmations ------------------


def _openphone_step(transition: Transition) -> TransitionStep:
    step = transition.steps.filter(kind=StepKind.OPENPHONE).first()
    if step is None:
        raise TransitionRuleBroken(
            "This transition keeps the coordinator: the OpenPhone number stays with Portrait."
        )
    if step.status == StepStatus.DONE:
        raise TransitionRuleBroken("The number has already moved.")
    if step.status == StepStatus.IN_PROGRESS or step.external_ref:
        raise TransitionRuleBroken("The transfer has already been requested from OpenPhone.")
    return step


@transaction.atomic
def openphone_account_set(*, transition: Transition, by: User, email: str, workspace: str = "") -> Transition:
    """The provider's own new OpenPhone account, where the number will go. Changing it asks both parties to
    confirm again (a confirmation is for one account)."""
    transition = _locked(transition)
    if transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("The transition is not scheduled.")
    _openphone_step(transition)
    email = email.strip().lower()
    if not email:
        raise TransitionRuleBroken("Enter the email address of your OpenPhone account.")
    transition.openphone_target_email, transition.openphone_target_workspace = email, workspace.strip()
    transition.openphone_account_by, transition.openphone_account_at = by, timezone.now()
    transition.save(
        update_fields=[
            "openphone_target_email",
            "openphone_target_workspace",
            "openphone_account_by",
            "openphone_account_at",
        ]
    )
    event(transition, f"New OpenPhone account entered: {email}.", actor=by)
    if transition.openphone_acknowledged_at:
        _provider_confirmation_email(transition, by)
    return transition


@transaction.atomic
def openphone_acknowledge(*, transition: Transition, by: User) -> Transition:
    """The provider acknowledges what does not move with the number (history, settings, patient data) and
    the texting delay; the emailed confirmation link follows."""
    transition = _locked(transition)
    if transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("The transition is not scheduled.")
    _openphone_step(transition)
    if not transition.openphone_target_email:
        raise TransitionRuleBroken("Enter your new OpenPhone account first.")
    if transition.openphone_acknowledged_at is None:
        transition.openphone_acknowledged_at = timezone.now()
        transition.save(update_fields=["openphone_acknowledged_at"])
        event(transition, "Acknowledged: " + OPENPHONE_ACKNOWLEDGEMENT, actor=by)
    _provider_confirmation_email(transition, by)
    return transition


def confirmation_token(transition: Transition, user: User) -> str:
    return signing.dumps(
        {"t": transition.pk, "u": user.pk, "e": transition.openphone_target_email}, salt=CONFIRM_SALT
    )


def confirmation_token_read(token: str) -> dict:
    """The token's {"t": transition id, "u": user id, "e": account}; TransitionRuleBroken when it is forged or
    older than two weeks."""
    try:
        return signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as error:
        raise TransitionRuleBroken("This confirmation link has expired: ask for a new one.") from error
    except signing.BadSignature as error:
        raise TransitionRuleBroken("This confirmation link is not valid.") from error


def _provider_confirmation_email(transition: Transition, user: User) -> None:
    event(transition, f"Confirmation link emailed to {user.email}.", actor=user)
    email = ConfirmationEmail.objects.create(
        medspa_id=transition.medspa_id, transition=transition, user=user, **CONFIRMATION_EMAILS.queued()
    )
    transaction.on_commit(
        partial(task_queue, "transition.tasks.confirmation_email", email.pk, email.medspa_id)
    )


def confirmations(transition: Transition) -> dict[str, ReleaseConfirmation]:
    """The confirmations that count: those given for the account entered now, by party."""
    if not transition.openphone_target_email:
        return {}
    rows = transition.confirmations.filter(target_email=transition.openphone_target_email)
    return {row.party: row for row in rows}


def _confirm(
    transition: Transition, *, party: str, by: User, text: str, ip: str | None
) -> ReleaseConfirmation:
    try:
        with transaction.atomic():
            confirmation = ReleaseConfirmation.objects.create(
                medspa_id=transition.medspa_id,
                transition=transition,
                party=party,
                user=by,
                name=by.get_full_name(),
                email=by.email,
                target_email=transition.openphone_target_email,
                text=text,
                ip=ip,
            )
    except IntegrityError:
        return confirmations(transition)[party]
    event(
        transition,
        f"{ConfirmationParty(party).label} confirmed in writing that the number may move to "
        f"{transition.openphone_target_email}.",
        actor=by,
    )
    _queue_step(transition, StepKind.OPENPHONE)
    return confirmation


@transaction.atomic
def provider_confirm(*, token: str, by: User, ip: str | None = None) -> ReleaseConfirmation:
    """The provider's confirmation, from the emailed link, signed in as the person it was sent to."""
    data = confirmation_token_read(token)
    transition = Transition.objects.select_for_update().filter(pk=data.get("t")).first()
    if transition is None or data.get("u") != by.pk:
        raise TransitionRuleBroken("This confirmation link was sent to someone else: sign in as that person.")
    if transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("This transition is no longer under way.")
    if not Membership.objects.filter(medspa_id=transition.medspa_id, user=by, is_active=True).exists():
        raise TransitionRuleBroken("You are no longer a member of this medspa.")
    _openphone_step(transition)
    if data.get("e") != transition.openphone_target_email:
        raise TransitionRuleBroken(
            "The OpenPhone account has changed since this link was sent: use the newest link."
        )
    if transition.openphone_acknowledged_at is None:
        raise TransitionRuleBroken("Acknowledge what does not move with the number first.")
    text = PROVIDER_CONFIRMATION.format(email=transition.openphone_target_email)
    return _confirm(transition, party=ConfirmationParty.PROVIDER, by=by, text=text, ip=ip)


@transaction.atomic
def portrait_confirm(*, transition: Transition, by: User, ip: str | None = None) -> ReleaseConfirmation:
    """Portrait's confirmation, by a staff user."""
    if not by.is_staff:
        raise TransitionRuleBroken("Only Portrait staff confirm for Portrait.")
    transition = _locked(transition)
    if transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("This transition is not under way.")
    _openphone_step(transition)
    if not transition.openphone_target_email:
        raise TransitionRuleBroken("The provider has not entered their new OpenPhone account yet.")
    text = PORTRAIT_CONFIRMATION.format(email=transition.openphone_target_email)
    return _confirm(transition, party=ConfirmationParty.PORTRAIT, by=by, text=text, ip=ip)


def both_confirmed(transition: Transition) -> bool:
    return {ConfirmationParty.PORTRAIT, ConfirmationParty.PROVIDER} <= set(confirmations(transition))


# --- People acting on steps -----------------------------------------------------------------------------


def _set(step: TransitionStep, status: str, detail: str = "", *, actor: User | None = None, **fields) -> None:
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


def _step_locked(step: TransitionStep) -> TransitionStep:
    return TransitionStep.objects.select_for_update().select_related("transition__medspa").get(pk=step.pk)


@transaction.atomic
def step_retry(*, step: TransitionStep, by: User) -> TransitionStep:
    """Runs a step again, now if its date has come: a failed step; a step that waited for a person's hand
    (say, once the integration is configured); the Acuity import, to place what it could not before (the
    patient has been added meanwhile)."""
    step = _step_locked(step)
    again = step.status == StepStatus.FAILED or (
        step.status == StepStatus.WAITING and (step.needs_hand or step.kind == StepKind.ACUITY_IMPORT)
    )
    if not again:
        raise TransitionRuleBroken(f"A {step.get_status_display().lower()} step cannot be run again now.")
    if step.transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("This transition is no longer under way.")
    _set(
        step,
        StepStatus.PENDING,
        "Run again.",
        actor=by,
        attempts=0,
        lost_runs=0,
        next_run_at=None,
        needs_hand=False,
    )
    _queue_step(step.transition, step.kind)
    return step


@transaction.atomic
def step_mark_done(*, step: TransitionStep, by: User, note: str) -> TransitionStep:
    """A staff member did the step by hand (the integration is not configured, or they finished it another
    way) and says how. The model change is never done by hand; the number never moves without both
    confirmations."""
    step = _step_locked(step)
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
    _set(
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
        step = _step_locked(step)
        _set(step, StepStatus.DONE, _import_summary(booking.transition), actor=by)
    return booking


def _queue_step(transition: Transition, kind: str) -> None:
    """Runs the step after commit if its date has come (otherwise the sweep runs it on its date)."""
    step = transition.steps.filter(kind=kind).first()
    if step is None or step.due_date > clock.today(transition.medspa):
        return
    step_id, medspa_id = step.pk, transition.medspa_id
    transaction.on_commit(partial(task_queue, "transition.tasks.step_run", step_id, medspa_id))


# --- Running steps --------------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str = ""
    needs_hand: bool = False
    external_ref: str | None = None


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


class LeaseLost(Exception):
    """The run's lease ran out and another run took the step over: this one stops without recording."""


def _lease_keep(step: TransitionStep) -> None:
    """Renews the lease of the run holding `step` (between vendor calls of a long step), so that a slow but
    live run is not taken over; LeaseLost when another run has it now (this one's lease had run out)."""
    lease_until = timezone.now() + STEP_LEASE
    kept = TransitionStep.objects.filter(
        pk=step.pk, status=StepStatus.IN_PROGRESS, started_at=step.started_at
    ).update(lease_until=lease_until)
    if not kept:
        raise LeaseLost
    step.lease_until = lease_until


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
        _set(
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
        step = _step_locked(step)
        if not _runnable(step, now):
            return step
        if step.status == StepStatus.IN_PROGRESS and not _lost_run(step):
            return step
        blocker = _blocker(step)
        if blocker:
            _set(step, StepStatus.WAITING, blocker, next_run_at=None)
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
    except NotConfigured as error:
        logger.info("Transition step %s waits for a person: %s", step.pk, error)  # names the missing settings
        outcome = _by_hand(step)
    except IntegrationError as error:
        if error.retryable and step.attempts < MAX_ATTEMPTS:
            wait = timedelta(minutes=2**step.attempts)
            with transaction.atomic():
                step = _step_locked(step)
                if not _still_ours(step, now):
                    return step
                _set(
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
        step = _step_locked(step)
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
    if outcome.status == StepStatus.FAILED and step.kind == StepKind.OPENPHONE and outcome.external_ref == "":
        fields["rounds"] = step.rounds + 1  # a rejected transfer: the next request is a new one
    _set(step, outcome.status, outcome.detail, **fields)


def _poll_transfer(step: TransitionStep) -> TransitionStep:
    """Asks OpenPhone where a requested transfer is; a failed poll changes nothing (it is asked again)."""
    try:
        outcome = _run_openphone(step)
    except NotConfigured:
        outcome = _by_hand(step)
    except IntegrationError as error:
        logger.info("OpenPhone transfer of step %s not checked: %s", step.pk, error.detail)
        outcome = None
    with transaction.atomic():
        step = _step_locked(step)
        if step.status != StepStatus.WAITING or not step.external_ref:
            return step  # a person acted meanwhile
        if outcome is None:
            _set(step, step.status, step.detail, next_run_at=timezone.now() + POLL_EVERY)
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


def _run_model_change(step: TransitionStep) -> Outcome:
    """The medspa moves to its new model with its coordinator choice, billed from the effective date even
    when the step runs later; letting the coordinator go ends their access (and unused invitations)."""
    transition = step.transition
    with transaction.atomic():
        medspa = Medspa.objects.select_for_update(no_key=True).get(pk=transition.medspa_id)
        if transition.keeps_coordinator and not medspa.keeps_coordinator:
            medspa.keeps_coordinator = True
            medspa.save(update_fields=["keeps_coordinator", "updated_at"])
        if medspa.business_model != transition.target_model:
            medspa_services.medspa_business_model_set(
                medspa=medspa,
                business_model=transition.target_model,
                flex_revenue_split_percent=transition.flex_revenue_split_percent,
            )
        released = 0
        if transition.keeps_coordinator:
            billing.plan_backdate(medspa=medspa, on=transition.effective_date)
        else:
            released = coordinator_release(medspa=medspa, on=transition.effective_date)
    detail = f"{medspa.name} is on {transition.target_display}; inventory prices follow the new model."
    if transition.keeps_coordinator:
        detail += " The coordinator stays, on the monthly bill."
    elif released:
        detail += f" The coordinator's access ended ({released})."
    return Outcome(StepStatus.DONE, detail)


def coordinator_release(*, medspa: Medspa, on: date) -> int:
    """The coordinator goes from `on` (the first day without them): the medspa no longer keeps one, billed
    so from `on` even when this runs later; the coordinator's access ends (an admin or provider who was also
    the coordinator keeps their other roles) and unused coordinator invitations are revoked. Returns how many
    people lost the coordinator's access. Called inside the caller's transaction."""
    medspa = Medspa.objects.select_for_update(no_key=True).get(pk=medspa.pk)  # its model as saved now
    if medspa.keeps_coordinator:
        medspa.keeps_coordinator = False
        medspa.save(update_fields=["keeps_coordinator", "updated_at"])
    billing.plan_backdate(medspa=medspa, on=on)
    released = 0
    for membership in Membership.objects.filter(medspa=medspa, is_coordinator=True, is_active=True):
        if membership.is_admin or membership.is_provider:
            membership.is_coordinator = False
            membership.save(update_fields=["is_coordinator"])
        else:
            medspa_services.membership_deactivate(membership=membership)
        released += 1
    for invitation in Invitation.objects.filter(
        medspa=medspa, as_coordinator=True, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        medspa_services.invitation_revoke(invitation=invitation)
    return released


def _run_coordinator_leaves(step: TransitionStep) -> Outcome:
    """A Launch or Flex medspa's coordinator goes: their access and the monthly coordinator fee end from the
    effective date."""
    transition = step.transition
    with transaction.atomic():
        released = coordinator_release(medspa=transition.medspa, on=transition.effective_date)
    day = f"{transition.effective_date:%b} {transition.effective_date.day}, {transition.effective_date.year}"
    return Outcome(
        StepStatus.DONE,
        f"The coordinator's access ended ({released}); the monthly coordinator fee stops from {day}.",
    )


def _run_tigerconnect(step: TransitionStep) -> Outcome:
    tools = legacy_tools(step.transition.medspa)
    with TigerConnectClient() as client:
        if not tools.tigerconnect_group_id and not tools.tigerconnect_user_ids:
            return Outcome(
                StepStatus.WAITING,
                "No TigerConnect channel or user is recorded for this medspa "
                "(Legacy tools): a Portrait staff member checks and marks it done.",
                needs_hand=True,
            )
        done = []
        for user_id in tools.tigerconnect_user_ids:
            _lease_keep(step)
            client.deactivate_user(user_id, idempotency_key=f"{step.idempotency_key}-user-{user_id}")
            done.append(f"user {user_id}")
        if tools.tigerconnect_group_id:
            group = tools.tigerconnect_group_id
            client.deactivate_group(group, idempotency_key=f"{step.idempotency_key}-group-{group}")
            done.append(f"support channel {group}")
    return Outcome(StepStatus.DONE, "Deactivated on TigerConnect: " + ", ".join(done) + ".")


def _run_acuity_revoke(step: TransitionStep) -> Outcome:
    tools = legacy_tools(step.transition.medspa)
    with AcuityClient() as client:
        if not tools.acuity_calendar_ids:
            return Outcome(
                StepStatus.WAITING,
                "No Acuity calendar is recorded for this medspa (Legacy tools): "
                "a Portrait staff member checks and marks it done.",
                needs_hand=True,
            )
        for calendar_id in tools.acuity_calendar_ids:
            _lease_keep(step)
            client.revoke_access(calendar_id, idempotency_key=f"{step.idempotency_key}-{calendar_id}")
    calendars = ", ".join(str(calendar_id) for calendar_id in tools.acuity_calendar_ids)
    return Outcome(StepStatus.DONE, f"Acuity access revoked (calendars {calendars}).")


def _run_openphone(step: TransitionStep) -> Outcome:
    transition = step.transition
    tools = legacy_tools(transition.medspa)
    with OpenPhoneClient() as client:
        if not tools.openphone_number_id:
            return Outcome(
                StepStatus.WAITING,
                "No OpenPhone number is recorded for this medspa (Legacy tools): "
                "a Portrait staff member checks and marks it done.",
                needs_hand=True,
            )
        if step.external_ref:
            transfer = client.get_transfer(tools.openphone_number_id, step.external_ref)
        else:
            parties = confirmations(transition)
            transfer = client.request_transfer(
                tools.openphone_number_id,
                target_email=transition.openphone_target_email,
                target_workspace_id=transition.openphone_target_workspace or None,
                confirmations=[
                    Confirmation(
                        party=row.party, name=row.name, email=row.email, confirmed_at=row.confirmed_at
                    )
                    for row in parties.values()
                ],
                idempotency_key=f"{step.idempotency_key}-{step.rounds}-{transition.openphone_target_email}",
            )
    number = tools.openphone_number or tools.openphone_number_id
    if transfer.is_done:
        return Outcome(
            StepStatus.DONE,
            f"{number} moved to {transition.openphone_target_email}. Texting may take "
            "7 to 10 days to work again.",
            external_ref=transfer.id,
        )
    if transfer.is_rejected:
        return Outcome(
            StepStatus.FAILED,
            "OpenPhone rejected the transfer: contact OpenPhone support, then retry.",
            external_ref="",
        )
    return Outcome(
        StepStatus.WAITING,
        f"Transfer of {number} requested from OpenPhone ({transfer.status.replace('_', ' ')}); waiting until "
        "OpenPhone reports the number moved.",
        external_ref=transfer.id,
    )


# --- The Acuity import ------------------------------------------------------------------------------------


def _run_acuity_import(step: TransitionStep) -> Outcome:
    transition = step.transition
    medspa = transition.medspa
    tools = legacy_tools(medspa)
    today = clock.today(medspa)
    found: dict[int, AcuityAppointment] = {}
    with AcuityClient() as client:
        if not tools.acuity_calendar_ids:  # never the whole account: it holds every Legacy medspa's bookings
            return Outcome(
                StepStatus.WAITING,
                "No Acuity calendar is recorded for this medspa (Legacy tools): a Portrait staff member "
                "records it, then runs the import again.",
                needs_hand=True,
            )
        calendars = {calendar.id: calendar for calendar in client.list_calendars()}
        calendar_ids = tools.acuity_calendar_ids
        start = today
        while start <= today + timedelta(days=IMPORT_DAYS):
            end = start + timedelta(days=IMPORT_WINDOW_DAYS - 1)
            for calendar_id in calendar_ids:
                _lease_keep(step)  # a window at a time: a slow but live import keeps the step
                for appointment in client.list_appointments(start, end, calendar_id=calendar_id):
                    found[appointment.id] = appointment
            start = end + timedelta(days=1)
    now = timezone.now()
    matcher = Matcher(calendars)
    for number, appointment in enumerate(sorted(found.values(), key=lambda a: a.start)):
        if number % IMPORT_LEASE_EVERY == 0:
            _lease_keep(step)
        if appointment.start > now:
            _import_one(transition, appointment, matcher)
    conflicts = transition.acuity_bookings.filter(status=ImportStatus.CONFLICT).count()
    if conflicts:
        return Outcome(
            StepStatus.WAITING,
            f"{_import_summary(transition)} {conflicts} need a person: "
            "see the list, book them by hand or call the patient, then mark each resolved.",
        )
    return Outcome(StepStatus.DONE, _import_summary(transition))


def _import_summary(transition: Transition) -> str:
    rows = transition.acuity_bookings
    imported = rows.filter(status=ImportStatus.IMPORTED).count()
    resolved = rows.filter(status=ImportStatus.RESOLVED).count()
    summary = (
        f"{imported} future Acuity appointment{'s' if imported != 1 else ''} imported into the EHR calendar."
    )
    if resolved:
        summary += f" {resolved} resolved by hand."
    return summary


class Matcher:
    """Finds the EHR's provider, appointment type and patient for Acuity appointments: built once per import
    (three queries), so a year of appointments costs no query per appointment to match."""

    def __init__(self, calendars: dict[int, AcuityCalendar]) -> None:
        self.calendars = calendars
        self.providers = list(
            Membership.objects.filter(is_provider=True, is_active=True).select_related("user")
        )
        self.types = list(
            AppointmentType.objects.filter(is_active=True)
            .prefetch_related("providers")
            .select_related("location")
        )
        self.by_email: dict[str, list[Patient]] = {}
        self.by_phone: dict[str, list[Patient]] = {}
        self.by_name: dict[tuple[str, str], list[Patient]] = {}
        for patient in Patient.objects.exclude(status=PatientStatus.ARCHIVED).order_by("pk"):
            if email_key(patient.email):
                self.by_email.setdefault(email_key(patient.email), []).append(patient)
            if phone_key(patient.phone):
                self.by_phone.setdefault(phone_key(patient.phone), []).append(patient)
            self.by_name.setdefault(name_key(patient.first_name, patient.last_name), []).append(patient)

    def provider(self, appointment: AcuityAppointment) -> tuple[Membership | None, str]:
        calendar = self.calendars.get(appointment.calendar_id)
        if calendar is not None and calendar.email:
            email = calendar.email.strip().lower()
            found = [m for m in self.providers if m.user.email.lower() == email]
            if found:
                return found[0], ""
        name = (calendar.name if calendar is not None else appointment.calendar).strip()
        matches = [m for m in self.providers if m.user.full_name.strip().lower() == name.lower()]
        if len(matches) == 1:
            return matches[0], ""
        return None, f"No provider of the medspa matches the Acuity calendar “{name}”."

    def appointment_type(self, name: str, provider: Membership) -> tuple[AppointmentType | None, str]:
        name = name.strip()
        types = [
            t
            for t in self.types
            if t.name.lower() == name.lower() and any(p.pk == provider.pk for p in t.providers.all())
        ]
        if len(types) == 1:
            return types[0], ""
        if not types:
            return None, f"No active appointment type “{name}” is offered by {provider.user.get_full_name()}."
        return (
            None,
            f"{len(types)} appointment types are called “{name}” (at different locations): choose by hand.",
        )

    def patient(self, appointment: AcuityAppointment) -> tuple[Patient | None, str]:
        """The one active patient Acuity's client is. Not patient_match.patient_strong_match: Acuity sends no
        date of birth, so the rule here is one record by email, else by phone, else (only when Acuity has
        neither) by name, compared with patient_match's keys; several records are left to a person."""
        who = f"{appointment.first_name} {appointment.last_name}".strip() or "(no name)"
        email, phone = email_key(appointment.email), phone_key(appointment.phone)
        first, last = name_key(appointment.first_name, appointment.last_name)
        tries = [self.by_email.get(email) if email else None, self.by_phone.get(phone) if phone else None]
        if not email and not phone and first and last:  # a name alone only when Acuity has nothing else
            tries.append(self.by_name.get((first, last)))
        for found in tries:
            if found and len(found) == 1:
                return found[0], ""
            if found:
                return None, f"Several patients match {who}: choose the right record by hand."
        return (
            None,
            f"No patient record matches {who}: add the patient (a date of birth is needed), then retry.",
        )


def _import_one(transition: Transition, appointment: AcuityAppointment, matcher: Matcher) -> AcuityBooking:
    """Imports one Acuity appointment, or records why it could not be (a conflict a person resolves)."""
    booking, _ = AcuityBooking.objects.get_or_create(
        medspa_id=transition.medspa_id,
        acuity_id=appointment.id,
        defaults={
            "transition": transition,
            "status": ImportStatus.CONFLICT,
            "start": appointment.start,
            "duration_minutes": appointment.duration_minutes,
        },
    )
    if booking.status in (ImportStatus.IMPORTED, ImportStatus.RESOLVED):
        return booking
    booking.transition = transition
    booking.start, booking.duration_minutes = appointment.start, appointment.duration_minutes
    booking.calendar = (appointment.calendar or "")[:200]
    booking.appointment_type = (appointment.appointment_type or "")[:200]
    booking.first_name, booking.last_name = appointment.first_name[:100], appointment.last_name[:100]
    booking.email, booking.phone = appointment.email[:254], appointment.phone[:40]
    provider, reason = matcher.provider(appointment)
    appointment_type = patient = None
    if provider is not None:
        appointment_type, reason = matcher.appointment_type(appointment.appointment_type, provider)
    if appointment_type is not None:
        patient, reason = matcher.patient(appointment)
    if patient is not None:
        minutes = appointment.duration_minutes or appointment_type.duration_minutes
        try:
            booking.appointment = scheduling_booking.appointment_import(
                appointment_type=appointment_type,
                provider=provider,
                patient=patient,
                start=appointment.start,
                end=appointment.start + timedelta(minutes=minutes),
                idempotency_key=f"acuity-{appointment.id}",
                notes=f"Imported from Acuity (#{appointment.id}). {appointment.notes}".strip()[:2000],
            )
        except scheduling_booking.BookingError as error:
            reason = str(error)
    if booking.appointment_id:
        booking.status, booking.reason = ImportStatus.IMPORTED, ""
    else:
        booking.status, booking.reason = ImportStatus.CONFLICT, reason[:300]
    booking.save()
    return booking


VENDORS = {
    StepKind.ACUITY_IMPORT: "Acuity",
    StepKind.MODEL_CHANGE: "The EHR",
    StepKind.COORDINATOR_LEAVES: "The EHR",
    StepKind.ACUITY_REVOKE: "Acuity",
    StepKind.TIGERCONNECT: "TigerConnect",
    StepKind.OPENPHONE: "OpenPhone",
}
RUNNERS = {
    StepKind.ACUITY_IMPORT: _run_acuity_import,
    StepKind.MODEL_CHANGE: _run_model_change,
    StepKind.COORDINATOR_LEAVES: _run_coordinator_leaves,
    StepKind.ACUITY_REVOKE: _run_acuity_revoke,
    StepKind.TIGERCONNECT: _run_tigerconnect,
    StepKind.OPENPHONE: _run_openphone,
}
