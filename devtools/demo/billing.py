"""Demo data of billing: each demo medspa's plan is dated back three months, and the bills of the last two
full months are made, as the monthly job would have. Idempotent (the seed runs on every `make run`)."""

from billing.models import Bill, PlanPeriod
from billing.services import bills as billing_bills
from billing.services import plans as billing_plans
from medspa import clock
from medspa.models import Medspa
from providers.selectors import earnings

MONTHS_ON_THE_PLAN = 3
MONTHS_BILLED = 2


def bills_seed(medspa: Medspa) -> None:
    today = clock.today(medspa)
    since = earnings.month_start(today, MONTHS_ON_THE_PLAN)
    periods = billing_plans.plan_periods(medspa)
    # A medspa made by this seed has one plan, from today: it is moved back to when the demo story starts.
    if len(periods) == 1 and periods[0].starts_on > since and not Bill.objects.filter(medspa=medspa).exists():
        PlanPeriod.objects.filter(pk=periods[0].pk).update(starts_on=since)
    for back in range(MONTHS_BILLED, 0, -1):
        billing_bills.bill_generate(medspa=medspa, month=earnings.month_start(today, back))


def seed(medspas: dict[str, Medspa]) -> None:
    """The plan periods and last two months' bills of each demo medspa."""
    for medspa in medspas.values():
        bills_seed(medspa)
