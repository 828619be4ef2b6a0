"""A medspa's GFE routing settings, and the fee of an urgent request."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction

from gfe.models import (
    GfeSettings,
    Routing,
)
from gfe.selectors import clearances as clearance_selectors
from gfe.services.errors import GfeRuleBroken
from medspa.models import Medspa


def settings_for(medspa: Medspa) -> GfeSettings:
    """The medspa's GFE settings, or the defaults (unsaved) until its admin saves a choice: only saving
    the GFE Management tab makes the row, which is what marks the onboarding step done."""
    return GfeSettings.objects.filter(medspa=medspa).first() or GfeSettings(medspa=medspa)


@transaction.atomic
def gfe_settings_update(*, medspa: Medspa, data: dict) -> GfeSettings:
    """Changes the routing; clearing their own patients needs a provider who may clear."""
    gfe_settings = settings_for(medspa)
    if data.get("routing") == Routing.SELF and not clearance_selectors.self_clearing_providers(medspa):
        raise GfeRuleBroken(
            "Clearing your own patients needs a provider who may clear (MD, DO, NP, or PA where allowed) "
            "with a current licence on file."
        )
    if data.get("routing") == Routing.OWN_CLEARER and not (
        data.get("clearer_email") or gfe_settings.clearer_email
    ):
        raise GfeRuleBroken("Give your clearing provider's email: requests are sent there.")
    for name, value in data.items():
        setattr(gfe_settings, name, value)
    gfe_settings.full_clean(validate_unique=False)
    gfe_settings.save()
    return gfe_settings


def urgent_fee() -> Decimal:
    return Decimal(str(getattr(settings, "GFE_URGENT_FEE", "75.00")))
