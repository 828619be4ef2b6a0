"""The onboarding step the GFE Management tab owns."""

from gfe.models import GfeSettings
from medspa.services.onboarding import STEPS, Step


def _routing_chosen(medspa, membership) -> bool:
    """Done once the medspa has GFE settings. Only saving the GFE Management tab creates them from the
    pages: the tab reads them without creating on GET (and so do the request pages)."""
    return GfeSettings.objects.filter(medspa=medspa).exists()


def register() -> None:
    STEPS.register(
        Step(
            "gfe_routing",
            70,
            "GFE routing",
            "How your patients get their Good Faith Exam clearance.",
            "gfe:home",
            _routing_chosen,
        )
    )
