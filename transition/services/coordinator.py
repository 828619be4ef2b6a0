"""The steps the EHR does on itself: the model change, and the coordinator's release (their access and the
monthly coordinator fee end from the effective date)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from billing.services import plans as billing_plans
from medspa.models import Invitation, Medspa, Membership
from medspa.services import accounts as medspa_services
from transition.models import TransitionStep
from transition.models.transitions import StepStatus
from transition.services.base import Outcome


def run_model_change(step: TransitionStep) -> Outcome:
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
            billing_plans.plan_backdate(medspa=medspa, on=transition.effective_date)
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
    billing_plans.plan_backdate(medspa=medspa, on=on)
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


def run_coordinator_leaves(step: TransitionStep) -> Outcome:
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
