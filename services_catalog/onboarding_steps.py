"""The onboarding step the Services / Products tab owns."""

from medspa.onboarding import Step, step_register


def register() -> None:
    # The tab is not built yet, so the step cannot be done; it says where it will be.
    step_register(
        Step(
            "services",
            60,
            "Services",
            "Import services from the Portrait library or create your own, then activate them.",
            "services_catalog:home",
            lambda medspa, membership: False,
            lambda medspa, membership: "Opens with the Services / Products tab",
        )
    )
