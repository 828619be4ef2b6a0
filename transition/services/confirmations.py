"""The OpenPhone release's people part: the provider's new account, their acknowledgement, the signed link
emailed to them, and the two written confirmations (the provider's and Portrait's) for the account entered
now."""

from __future__ import annotations

from functools import partial

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from medspa.celery import task_queue
from medspa.models import Membership, User
from transition.models import ConfirmationEmail, ReleaseConfirmation, Transition, TransitionStep
from transition.models.records import CONFIRMATION_EMAILS, ConfirmationParty
from transition.models.transitions import OPENPHONE_ACKNOWLEDGEMENT, StepKind, StepStatus, TransitionStatus
from transition.services.base import TransitionRuleBroken, confirmations, event, step_queue, transition_locked

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


def _openphone_step(transition: Transition) -> TransitionStep:
    step = transition.steps.filter(kind=StepKind.OPENPHONE).first()
    if step is None:
        raise TransitionRuleBroken(
            "This transition keeps the coordinator: the OpenPhone number stays with Portrait."
        )
    if step.status == StepStatus.DONE:
        raise TransitionRuleBroken("The number has already moved.")
    if step.status == StepStatus.IN_PROGRESS or step.external_ref:
        raise TransitionRuleBroken("OpenPhone support has already been asked to move the number.")
    return step


@transaction.atomic
def openphone_account_set(*, transition: Transition, by: User, email: str, workspace: str = "") -> Transition:
    """The provider's own new OpenPhone account, where the number will go. Changing it asks both parties to
    confirm again (a confirmation is for one account)."""
    transition = transition_locked(transition)
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
    transition = transition_locked(transition)
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
    step_queue(transition, StepKind.OPENPHONE)
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
    transition = transition_locked(transition)
    if transition.status != TransitionStatus.SCHEDULED:
        raise TransitionRuleBroken("This transition is not under way.")
    _openphone_step(transition)
    if not transition.openphone_target_email:
        raise TransitionRuleBroken("The provider has not entered their new OpenPhone account yet.")
    text = PORTRAIT_CONFIRMATION.format(email=transition.openphone_target_email)
    return _confirm(transition, party=ConfirmationParty.PORTRAIT, by=by, text=text, ip=ip)
