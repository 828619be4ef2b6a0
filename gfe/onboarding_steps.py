"""The onboarding step the GFE Management tab owns."""

from medspa.onboarding import Step, step_register


def register() -> None:
    # The tab is not built yet, so the step cannot be done; it says where it will be.
    step_register(
        Step(
            "gfe_routing",
            70,
            "GFE routing",
            "How your patients get their Good Faith Exam clearance.",
            "gfe:home",
            lambda medspa, membership: False,
            lambda medspa, membership: "Opens with the GFE Management tab",
        )
    )
