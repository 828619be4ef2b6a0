from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from scheduling import demo, onboarding_steps  # noqa: F401 (demo connects its receiver)

        onboarding_steps.register()
