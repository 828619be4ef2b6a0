"""The medspa's plan over time: one dated period per plan (model, Flex split, coordinator), followed from
every save of the medspa's plan fields and backdated to a transition's effective date."""

from datetime import date, timedelta

from django.db import transaction

from billing.models import PlanPeriod
from medspa import clock
from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel


def _plan_of(medspa: Medspa) -> tuple:
    split = medspa.flex_revenue_split_percent if medspa.business_model == BusinessModel.FLEX else None
    return (medspa.business_model, split, medspa.keeps_coordinator)


def _plan_of_period(period: PlanPeriod) -> tuple:
    return (period.business_model, period.flex_revenue_split_percent, period.keeps_coordinator)


def plan_follow(medspa: Medspa, before: dict | None) -> None:
    """Dates the plan of any medspa saved with its plan fields, new or changed (medspa.plan_changes): the
    transition's model change, Django admin, a new medspa."""
    plan_sync(medspa=medspa)


@transaction.atomic
def plan_sync(*, medspa: Medspa, on: date | None = None) -> PlanPeriod:
    """Records the medspa's current plan as starting `on` (its local today by default), closing the plan it
    was on the day before. A second change on the same day replaces the first."""
    on = on or clock.today(medspa)
    wanted = _plan_of(medspa)
    current = PlanPeriod.objects.select_for_update().filter(medspa=medspa, ends_on__isnull=True).first()
    if current is not None and _plan_of_period(current) == wanted:
        return current
    if current is not None and current.starts_on >= on:
        current.business_model, current.flex_revenue_split_percent, current.keeps_coordinator = wanted
        current.save(update_fields=["business_model", "flex_revenue_split_percent", "keeps_coordinator"])
        return current
    if current is not None:
        current.ends_on = on - timedelta(days=1)
        current.save(update_fields=["ends_on"])
    model, split, coordinator = wanted
    return PlanPeriod.objects.create(
        medspa=medspa,
        business_model=model,
        flex_revenue_split_percent=split,
        keeps_coordinator=coordinator,
        starts_on=on,
    )


@transaction.atomic
def plan_backdate(*, medspa: Medspa, on: date) -> None:
    """The current plan took effect on `on`, earlier than the day it was recorded (a transition's model change
    that ran late, after a failure): the days from `on` are billed at it, not at the plan before."""
    current = PlanPeriod.objects.select_for_update().filter(medspa=medspa, ends_on__isnull=True).first()
    if current is None or current.starts_on <= on:
        return
    previous = (
        PlanPeriod.objects.select_for_update()
        .filter(medspa=medspa, ends_on=current.starts_on - timedelta(days=1))
        .first()
    )
    if previous is None or previous.starts_on >= on:
        return  # more than one change since `on`: left as recorded
    previous.ends_on = on - timedelta(days=1)
    previous.save(update_fields=["ends_on"])
    current.starts_on = on
    current.save(update_fields=["starts_on"])


class PlanMissing(Exception):
    """A medspa without a recorded plan: every medspa has one from its creation (plan_follow, and the
    data migration for those made before), so this is a bug to fix, not a case to bill around."""


def plan_periods(medspa: Medspa) -> list[PlanPeriod]:
    """The medspa's plans, oldest first. Read only: pages showing an estimate never write."""
    periods = list(PlanPeriod.objects.filter(medspa=medspa).order_by("starts_on"))
    if not periods:
        raise PlanMissing(f"{medspa} has no plan period.")
    return periods
