"""The onboarding steps the Scheduling tab owns."""

from medspa.onboarding import Step, step_register
from scheduling.models import Location


def register() -> None:
    step_register(
        Step(
            "locations",
            40,
            "Locations",
            "Where you treat patients, active for scheduling, and which providers work at each.",
            "scheduling:home",
            lambda medspa, membership: Location.objects.filter(medspa=medspa, is_active=True).exists(),
        )
    )
    # Availability comes with the calendars; until then the step stays open and says so.
    step_register(
        Step(
            "availability",
            80,
            "Availability",
            "Each provider's weekly hours per location, time off and closures.",
            "scheduling:home",
            lambda medspa, membership: False,
            lambda medspa, membership: "Opens with the calendars in the Scheduling tab",
        )
    )
