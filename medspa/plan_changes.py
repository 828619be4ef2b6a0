"""What follows a medspa's plan (its business model, Flex split and coordinator), in one path: every save of
a medspa that may change them (the model-change service, the transition, Django admin, a new medspa) calls
the reactions that apps built on the core register in their `AppConfig.ready` (billing dates the plan,
inventory reprices the cart), inside the save's transaction, so nothing is left on the old plan."""

from collections.abc import Callable

from django.db.models.signals import post_save
from django.dispatch import receiver

from medspa.models import Medspa
from medspa.models.tenancy import PLAN_FIELDS
from medspa.registry import Registry
from medspa.tenancy import medspa_scope

# reaction(medspa, before): `before` is the plan the medspa was loaded with, as Medspa.plan() gives it, or
# None for a medspa just made (or saved without having been read).
Reaction = Callable[[Medspa, dict | None], None]
PLAN_FOLLOWERS: Registry[Reaction] = Registry("plan followers")


@receiver(post_save, sender=Medspa, dispatch_uid="medspa-plan-saved")
def _medspa_saved(sender, instance: Medspa, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw:  # loaddata
        return
    if update_fields is not None and not set(PLAN_FIELDS) & set(update_fields):
        return  # a save of other fields (the medical director, the address): no lock, no query
    before, instance.plan_loaded = instance.plan_loaded, instance.plan()
    with medspa_scope(instance):
        for reaction in PLAN_FOLLOWERS:
            reaction(instance, before)
