"""The onboarding steps the core app owns: profile, business, medical director, providers invited."""

from medspa.models import MedicalDirectorRequest
from medspa.selectors.accounts import (
    medspa_has_invited_providers,
    medspa_has_shipping_address,
    profile_missing,
)
from medspa.services.onboarding import STEPS, Step


def _medical_director_status(medspa, membership) -> str:
    if MedicalDirectorRequest.objects.filter(
        medspa=medspa, status=MedicalDirectorRequest.Status.OPEN
    ).exists():
        return "Requested: waiting for Portrait to create the physician's account"
    return ""


def register() -> None:
    STEPS.register(
        Step(
            "profile",
            10,
            "Your profile",
            "Headshot, photo ID, signature, licences, credentials and position.",
            "profile",
            lambda medspa, membership: not profile_missing(membership),
        )
    )
    STEPS.register(
        Step(
            "business",
            20,
            "Business details",
            "Your commercial shipping address (inventory is delivered there) and, if you have one, your DBA.",
            "account_settings",
            lambda medspa, membership: medspa_has_shipping_address(medspa),
        )
    )
    STEPS.register(
        Step(
            "medical_director",
            30,
            "Medical director",
            "Yourself, if you are a physician, or ask Portrait to create a physician user for you.",
            "account_settings",
            lambda medspa, membership: medspa.medical_director_id is not None,
            _medical_director_status,
        )
    )
    STEPS.register(
        Step(
            "providers",
            50,
            "Invite your providers",
            "Each gets an email with a link to create their account.",
            "invitation_list",
            lambda medspa, membership: medspa_has_invited_providers(medspa),
        )
    )
