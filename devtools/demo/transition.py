"""Demo data of the transition: a Legacy medspa, Serenity Skin & Laser, with its Patient Care Coordinator,
its Legacy tools (OpenPhone, TigerConnect, Acuity ids) and a transition its admin has asked Portrait for
(Launch, letting the coordinator go), waiting for Portrait staff to approve it. Idempotent."""

from datetime import timedelta

from django.db import transaction

from devtools.demo import core
from devtools.demo.billing import bills_seed
from devtools.demo.core import DemoUser
from devtools.demo.scheduling import appointments_seed, location_seed
from devtools.demo.services_catalog import medspa_seed
from medspa import clock
from medspa.models import Medspa, Membership
from medspa.models.tenancy import BusinessModel, Credential
from scheduling.models import Location
from transition.models import Transition
from transition.services import approval as transition_approval
from transition.services import base as transition_base

LEGACY_PEOPLE = [
    DemoUser("alex.kim@serenityskin.example", "Dr. Alex Kim", "admin+provider", Credential.MD, "Owner", True),
]
COORDINATOR = DemoUser("casey.morgan@portrait.example", "Casey Morgan", "coordinator")
# (email, what they are), for `demo_logins`.
LOGINS = [
    (LEGACY_PEOPLE[0].email, "admin+provider · Serenity Skin & Laser (Legacy, asking to move to Launch)"),
    (COORDINATOR.email, "coordinator · Serenity Skin & Laser (the EHR calendar only)"),
]


def legacy_seed() -> Medspa:
    medspa, _ = Medspa.objects.get_or_create(
        slug="serenity-skin",
        defaults={
            "name": "Serenity Skin & Laser",
            "time_zone": "America/New_York",
            "business_model": BusinessModel.LEGACY,
            "keeps_coordinator": True,
            "shipping_line1": "88 Newbury St",
            "shipping_city": "Boston",
            "shipping_state": "MA",
            "shipping_postal_code": "02116",
        },
    )
    owner = core._member(medspa, LEGACY_PEOPLE[0])
    if medspa.medical_director_id is None:
        medspa.medical_director = owner
        medspa.save(update_fields=["medical_director"])
    Membership.objects.get_or_create(
        medspa=medspa, user=core._user(COORDINATOR), defaults={"is_provider": False, "is_coordinator": True}
    )
    if not medspa.patients.exists():
        core._patients(medspa, 12)
    medspa_seed(medspa, imports=4)
    location, _ = Location.objects.get_or_create(
        medspa=medspa,
        name="Back Bay",
        defaults={
            "address_line1": "88 Newbury St",
            "city": "Boston",
            "state": "MA",
            "postal_code": "02116",
            "time_zone": "America/New_York",
            "phone": "+16175550142",
        },
    )
    providers = list(Membership.objects.filter(medspa=medspa, is_provider=True, is_active=True))
    if not location.providers.exists():
        location.providers.set(providers)
    location_seed(location, providers)
    appointments_seed(location, count=6)
    tools = transition_base.legacy_tools(medspa)
    if not tools.openphone_number_id:
        tools.openphone_number_id, tools.openphone_number = "PNdemo0142", "(617) 555-0142"
        tools.tigerconnect_group_id, tools.tigerconnect_user_ids = "serenity-support", ["tc-alex-kim"]
        tools.acuity_calendar_ids = [4401]
        tools.save()
    bills_seed(medspa)  # its Legacy months: the coordinator's $1,000 each
    if (
        medspa.business_model == BusinessModel.LEGACY
        and not Transition.objects.filter(medspa=medspa).exists()
    ):
        terms = transition_approval.TransitionTerms(
            BusinessModel.LAUNCH,
            clock.today(medspa) + timedelta(days=14),
            False,
            note="We would like to run our own scheduling and phone from next month.",
        )
        transition_approval.transition_request(medspa=medspa, by=owner.user, terms=terms)
    return medspa


def seed(medspas: dict[str, Medspa]) -> None:
    """The Legacy medspa asking to move to Launch (its own medspa: `medspas` is not used)."""
    with transaction.atomic():
        legacy_seed()
