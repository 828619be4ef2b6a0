"""The monthly fees Portrait bills, by business model, and the coordinator's.

Defaults below; a deployment may override them with settings (BILLING_PLATFORM_FEES, a {model: "amount"} dict,
and BILLING_COORDINATOR_FEE). Legacy's contract includes the coordinator and the Legacy tools (Acuity,
OpenPhone, TigerConnect): its $1,000 a month is the coordinator line, billed on every Legacy day and on the
Launch / Flex days of a medspa that keeps its coordinator. Flex pays Portrait its revenue share instead of a
platform fee."""

from decimal import Decimal

from django.conf import settings

from medspa.models.tenancy import BusinessModel

DEFAULT_PLATFORM_FEES = {
    BusinessModel.LEGACY: Decimal("0.00"),
    BusinessModel.LAUNCH: Decimal("199.00"),
    BusinessModel.FLEX: Decimal("0.00"),
}
DEFAULT_COORDINATOR_FEE = Decimal("1000.00")


def platform_fee(business_model: str) -> Decimal:
    overrides = getattr(settings, "BILLING_PLATFORM_FEES", None) or {}
    value = overrides.get(business_model, DEFAULT_PLATFORM_FEES[BusinessModel(business_model)])
    return Decimal(str(value))


def coordinator_fee() -> Decimal:
    value = getattr(settings, "BILLING_COORDINATOR_FEE", None)
    return Decimal(str(DEFAULT_COORDINATOR_FEE if value is None else value))


def coordinator_billed(business_model: str, keeps_coordinator: bool) -> bool:
    """Whether a day on this plan carries the coordinator fee: every Legacy day (the Legacy contract is the
    coordinator and the Legacy tools), and every day of a medspa that keeps its coordinator."""
    return keeps_coordinator or business_model == BusinessModel.LEGACY
