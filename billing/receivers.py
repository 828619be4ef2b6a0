"""Keeps the dated plan in step with the medspa: any save that changes its model, Flex split or coordinator
starts a new plan period that day (the transition's model change, Django admin, a new medspa). Connected to
post_save by BillingConfig.ready."""

from billing.services import plan_sync
from medspa.models import Medspa
from medspa.tenancy import medspa_scope

PLAN_FIELDS = {"business_model", "flex_revenue_split_percent", "keeps_coordinator"}


def medspa_saved(sender, instance: Medspa, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw:  # loaddata
        return
    if update_fields is not None and not PLAN_FIELDS & set(update_fields):
        return  # a save of other fields (the medical director, the address): no lock, no query
    with medspa_scope(instance):
        plan_sync(medspa=instance)
