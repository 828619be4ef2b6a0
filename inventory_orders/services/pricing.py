"""Pricing tickets: a medspa reports a price that looks wrong, Portrait's inventory team resolves it."""

from django.db import transaction
from django.utils import timezone

from inventory_orders.models import (
    CatalogProduct,
    Order,
    PricingIssue,
)
from inventory_orders.services.errors import OrderingRefused
from medspa.models import Medspa, User


def pricing_issue_report(
    *,
    medspa: Medspa,
    by: User,
    message: str,
    order: Order | None = None,
    product: CatalogProduct | None = None,
) -> PricingIssue:
    if not message.strip():
        raise OrderingRefused("Say what looks wrong with the price.")
    if order is None and product is None:
        raise OrderingRefused("Report a price from an order or a product.")
    return PricingIssue.objects.create(
        medspa=medspa,
        order=order,
        product=product,
        message=message.strip(),
        reported_by=by,
        business_model=medspa.business_model,
    )


@transaction.atomic
def pricing_issue_resolve(*, issue: PricingIssue, by: User, resolution: str) -> PricingIssue:
    issue = PricingIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == PricingIssue.Status.RESOLVED:
        raise OrderingRefused("This ticket is already resolved.")
    issue.status, issue.resolution, issue.resolved_by, issue.resolved_at = (
        PricingIssue.Status.RESOLVED,
        resolution.strip(),
        by,
        timezone.now(),
    )
    issue.save()
    return issue
