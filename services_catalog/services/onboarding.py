"""The onboarding step the Services / Products tab owns."""

from medspa.services.onboarding import STEPS, Step
from services_catalog.models import Service


def register() -> None:
    STEPS.register(
        Step(
            "services",
            60,
            "Services",
            "Import services from the Portrait library or create your own, then activate them.",
            "services_catalog:home",
            lambda medspa, membership: Service.objects.filter(medspa=medspa, is_active=True).exists(),
        )
    )
