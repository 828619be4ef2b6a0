"""The fees Portrait bills each month: the Patient Care Coordinator's, prorated by day, and the urgent fee of
each urgent GFE request (set on the request). Flex also pays Portrait its revenue share of the month's sales
(billing.services); that is Portrait's part of the sales, not a fee.

There is no monthly platform fee: Launch pays Portrait through its inventory prices (inventory_orders), and
Legacy's contract is the coordinator and the Legacy tools (Acuity, OpenPhone, TigerConnect), so its $1,000 a
month is the coordinator line, billed on every Legacy day and on the Launch / Flex days of a medspa that keeps
its coordinator. A deployment may set BILLING_COORDINATOR_FEE to another amount."""

from decimal import Decimal

from django.conf import settings

from medspa.models.tenancy import BusinessModel

DEFAULT_COORDINATOR_FEE = Decimal("1000.00")


def coordinator_fee() -> Decimal:
    value = getattr(settings, "BILLING_COORDINATOR_FEE", None)
    return Decimal(str(DEFAULT_COORDINATOR_FEE if value is None else value))


def coordinator_billed(business_model: str, keeps_coordinator: bool) -> bool:
    """Whether a day on this plan carries the coordinator fee: every Legacy day (the Legacy contract is the
    coordinator and the Legacy tools), and every day of a medspa that keeps its coordinator."""
    return keeps_coordinator or business_model == BusinessModel.LEGACY
