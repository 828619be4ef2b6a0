"""The onboarding steps the Scheduling tab owns."""

from medspa.services.onboarding import STEPS, Step
from scheduling.models import AvailabilityRule, Location


def availability_set(medspa, membership) -> bool:
    """Done when at least one active provider has weekly hours at an active location."""
    return AvailabilityRule.objects.filter(
        medspa=medspa, location__is_active=True, provider__is_provider=True, provider__is_active=True
    ).exists()


def register() -> None:
    STEPS.register(
        Step(
            "locations",
            40,
            "Locations",
            "Where you treat patients, active for scheduling, and which providers work at each.",
            "scheduling:home",
            lambda medspa, membership: Location.objects.filter(medspa=medspa, is_active=True).exists(),
        )
    )
    STEPS.register(
        Step(
            "availability",
            80,
            "Availability",
            "Each provider's weekly hours per location, time off and closures.",
            "scheduling:availability",
            availability_set,
        )
    )
