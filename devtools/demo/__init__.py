"""The demo world `manage.py seed_demo` loads, in one transaction: the core's medspas, people and patients
(`core`), then each app's demo data on top of them. Idempotent: running it again changes nothing."""

from django.db import transaction
from django_scopes import scopes_disabled

from devtools.demo import (
    billing,
    core,
    gfe,
    inventory_orders,
    providers,
    scheduling,
    services_catalog,
    transition,
)
from medspa.models import Medspa, Patient

# Each builds on what the ones before it made: services before the clearances, appointments and visits
# that use them; the Legacy medspa last, from the services and locations seeds.
SEEDS = (
    services_catalog.seed,
    gfe.seed,
    scheduling.seed,
    providers.seed,
    inventory_orders.seed,
    billing.seed,
    transition.seed,
)


@transaction.atomic
def seed() -> dict:
    """Seeds the demo world; returns how many medspas and patients there are."""
    with scopes_disabled():
        medspas = core.medspas_seed()
        for app_seed in SEEDS:
            app_seed(medspas)
        return {"medspas": Medspa.objects.count(), "patients": Patient.objects.count()}


def logins() -> list[tuple[str, str]]:
    """(email, what they are) of every demo person, for `demo_logins`."""
    people = [(p.email, f"{p.role} · Glow Aesthetics Studio (Launch)") for p in core.LAUNCH_PEOPLE]
    people += [(p.email, f"{p.role} · Luxe Skin Bar (Flex)") for p in core.FLEX_PEOPLE]
    people += transition.LOGINS
    people.append((core.STAFF.email, "Portrait staff · Django admin at /admin/"))
    return people
